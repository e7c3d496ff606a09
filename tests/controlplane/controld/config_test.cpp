// parse_controld_config: the option table's defaults, file and command-line precedence, every
// option's good and bad values, the peer option's keys, the cross-option checks, --help generated
// from the table, the example config, and format_controld_config round trips.
#include "controlplane/controld/config.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace msf::controld {
namespace {

const std::vector<std::string> kMinimal = {
    "--media.access-ipv4=192.0.2.1",
    "--media.core-ipv4=198.51.100.1",
};

ParseResult run(std::vector<std::string> args, const std::optional<std::string>& file = {},
                bool minimal = true) {
    std::vector<std::string> all = {"msf-controld"};
    // The minimal options, except those the case gives itself.
    for (const auto& m : minimal ? kMinimal : std::vector<std::string>{}) {
        const std::string option = m.substr(0, m.find('=') + 1);
        if (std::none_of(args.begin(), args.end(),
                         [&](const std::string& a) { return a.starts_with(option); }))
            all.push_back(m);
    }
    all.insert(all.end(), args.begin(), args.end());
    std::vector<const char*> argv;
    for (const auto& a : all) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    const int argc = static_cast<int>(all.size());
    if (file) return parse_controld_config_text(*file, argc, argv.data());
    return parse_controld_config(argc, argv.data());
}

std::string error_of(const ParseResult& result) {
    if (const auto* e = std::get_if<ConfigError>(&result)) return e->what();
    return "(no error)";
}

ControldConfig ok(std::vector<std::string> args, const std::optional<std::string>& file = {}) {
    auto result = run(std::move(args), file);
    if (const auto* e = std::get_if<ConfigError>(&result)) ADD_FAILURE() << e->what();
    if (auto* c = std::get_if<ControldConfig>(&result)) return *c;
    return {};
}

// The one peer of --diameter.peer=<value>, with listeners of both families, certificate and key,
// so that the peer's own keys decide.
PeerConfig peer_of(const std::string& value) {
    const auto c = ok({"--diameter.peer=" + value, "--diameter.listen=0.0.0.0:3868",
                       "--diameter.listen=[::]:3868", "--diameter.tls-listen=0.0.0.0:5658",
                       "--diameter.tls-cert=c.pem", "--diameter.tls-key=k.pem"});
    if (c.diameter.peers.size() != 1) {
        ADD_FAILURE() << value;
        return {};
    }
    return c.diameter.peers[0];
}

const OptionSpec& row(std::string_view name) {
    for (const auto& spec : option_table())
        if (spec.name == name) return spec;
    throw std::runtime_error("no row " + std::string(name));
}

net::IpAddr ip(const char* text) { return *net::IpAddr::parse(text); }
net::Endpoint endpoint(const char* text) { return *net::Endpoint::parse(text); }

TEST(ParseControldConfig, AppliesEveryDefaultOfTheTable) {
    const ControldConfig c = ok({});
    // Every single-valued default in the table is what the config holds: format prints the
    // stored values under the table's names.
    const std::string formatted = format_controld_config(c);
    for (const auto& spec : option_table()) {
        if (spec.default_value.empty() || spec.name == "policy.suites") continue;
        const size_t dot = spec.name.find('.');
        const std::string key(dot == std::string_view::npos ? spec.name
                                                            : spec.name.substr(dot + 1));
        EXPECT_NE(formatted.find("\n" + key + " = " + std::string(spec.default_value) + "\n"),
                  std::string::npos)
            << spec.name << "\n" << formatted;
    }
    EXPECT_EQ(c.config_file, "");
    EXPECT_EQ(c.log_level, LogLevel::notice);
    EXPECT_EQ(c.cli_socket, "/run/msf/controld.sock");
    EXPECT_EQ(c.cli_group, "");
    EXPECT_EQ(c.dataplane_socket, "/run/msf/dataplane.sock");
    EXPECT_EQ(c.dataplane_retry_ms, 1000u);
    EXPECT_EQ(c.store, "/var/lib/msf/controld.db");
    EXPECT_EQ(c.store_key, "/var/lib/msf/store.key");

    EXPECT_EQ(c.diameter.identity, "msf.localdomain");
    EXPECT_EQ(c.diameter.realm, "localdomain");
    EXPECT_EQ(c.diameter.listen, (std::vector<net::Endpoint>{endpoint("127.0.0.1:3868")}));
    EXPECT_TRUE(c.diameter.tls_listen.empty());
    EXPECT_EQ(c.diameter.tls_cert, "");
    EXPECT_EQ(c.diameter.tls_key, "");
    EXPECT_EQ(c.diameter.tls_ca, "");
    EXPECT_EQ(c.diameter.vendor_id, 32473u);
    EXPECT_EQ(c.diameter.product_name, "msf-controld");
    EXPECT_EQ(c.diameter.watchdog_ms, 30000u);
    EXPECT_EQ(c.diameter.reconnect_ms, 30000u);
    EXPECT_EQ(c.diameter.max_message_bytes, 65536u);
    EXPECT_TRUE(c.diameter.peers.empty());
    EXPECT_FALSE(c.diameter.uses_tls());

    EXPECT_EQ(c.media.access_ipv4, (std::vector<net::IpAddr>{ip("192.0.2.1")}));
    EXPECT_TRUE(c.media.access_ipv6.empty());
    EXPECT_EQ(c.media.core_ipv4, (std::vector<net::IpAddr>{ip("198.51.100.1")}));
    EXPECT_TRUE(c.media.core_ipv6.empty());
    EXPECT_EQ(c.media.port_min, 16384u);
    EXPECT_EQ(c.media.port_max, 65535u);
    EXPECT_EQ(c.media.replay_window, 128u);
    EXPECT_EQ(c.media.inactivity_timeout_ms, 0u);
    EXPECT_EQ(c.media.rtcp_mux, RtcpMux::from_request);

    EXPECT_EQ(c.policy.default_suite, srtp::Suite::aes_cm_128_hmac_sha1_80);
    EXPECT_TRUE(c.policy.require_protection);
    EXPECT_TRUE(c.policy.require_protection_realms.empty());
    EXPECT_EQ(c.policy.max_sessions, 100000u);
    EXPECT_EQ(c.policy.max_sessions_per_peer, 0u);
    EXPECT_TRUE(c.policy.generate_to_ue_key);
    EXPECT_EQ(c.policy.auth_failure_storm, 50u);
}

TEST(ParseControldConfig, DefaultSuitesAreTheSrtpSuiteTableInItsOrder) {
    const ControldConfig c = ok({});
    ASSERT_EQ(c.policy.suites.size(), srtp::kSuites.size());
    for (size_t i = 0; i < srtp::kSuites.size(); ++i)
        EXPECT_EQ(c.policy.suites[i], srtp::kSuites[i].suite);
    // The six names of RFC 4568 §6.2, RFC 6188 §7 and RFC 7714 §14.2.
    const std::string formatted = format_controld_config(c);
    for (const char* name : {"AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32",
                             "AES_256_CM_HMAC_SHA1_80", "AES_256_CM_HMAC_SHA1_32",
                             "AEAD_AES_128_GCM", "AEAD_AES_256_GCM"}) {
        EXPECT_NE(formatted.find(std::string("\nsuites = ") + name + "\n"), std::string::npos)
            << name;
    }
}

TEST(ParseControldConfig, CommandLineOverridesFileOverridesDefault) {
    const std::string file =
        "log-level = info\n"
        "dataplane-retry-ms = 500\n"
        "[diameter]\n"
        "identity = msf1.example.net\n"
        "listen = 192.0.2.10:3868\n"
        "listen = [2001:db8::10]:3868\n"
        "[media]\n"
        "access-ipv4 = 192.0.2.7\n"
        "access-ipv4 = 192.0.2.8\n"
        "port-min = 20000\n";
    const auto c = ok({"--log-level=debug", "--diameter.listen=192.0.2.99:3870"}, file);
    EXPECT_EQ(c.log_level, LogLevel::debug);                 // command line
    EXPECT_EQ(c.dataplane_retry_ms, 500u);                   // file
    EXPECT_EQ(c.diameter.identity, "msf1.example.net");      // file
    EXPECT_EQ(c.diameter.watchdog_ms, 30000u);               // default
    EXPECT_EQ(c.media.port_min, 20000u);                     // file
    // A list on the command line replaces the file's list.
    EXPECT_EQ(c.diameter.listen, (std::vector<net::Endpoint>{endpoint("192.0.2.99:3870")}));
    EXPECT_EQ(c.media.access_ipv4, (std::vector<net::IpAddr>{ip("192.0.2.1")}));
}

TEST(ParseControldConfig, FileListsAreKeptInOrderWhenTheCommandLineHasNone) {
    const std::string file =
        "[diameter]\n"
        "listen = 192.0.2.10:3868\n"
        "listen = [2001:db8::10]:3868\n"
        "peer = b.example\n"
        "peer = a.example\n"
        "[media]\n"
        "access-ipv4 = 192.0.2.7\n"
        "access-ipv4 = 192.0.2.8\n"
        "access-ipv6 = 2001:db8:a::7\n"
        "core-ipv6 = 2001:db8:c::7\n"
        "[policy]\n"
        "suites = AEAD_AES_256_GCM\n"
        "suites = AES_CM_128_HMAC_SHA1_80\n";
    const auto result = run({}, file, /*minimal=*/false);
    ASSERT_TRUE(std::holds_alternative<ControldConfig>(result)) << error_of(result);
    const auto& c = std::get<ControldConfig>(result);
    EXPECT_EQ(c.diameter.listen, (std::vector<net::Endpoint>{endpoint("192.0.2.10:3868"),
                                                             endpoint("[2001:db8::10]:3868")}));
    ASSERT_EQ(c.diameter.peers.size(), 2u);
    EXPECT_EQ(c.diameter.peers[0].identity, "b.example");
    EXPECT_EQ(c.media.access_ipv4,
              (std::vector<net::IpAddr>{ip("192.0.2.7"), ip("192.0.2.8")}));
    EXPECT_EQ(c.media.access_ipv6, (std::vector<net::IpAddr>{ip("2001:db8:a::7")}));
    EXPECT_TRUE(c.media.core_ipv4.empty());
    EXPECT_EQ(c.policy.suites, (std::vector<srtp::Suite>{srtp::Suite::aead_aes_256_gcm,
                                                         srtp::Suite::aes_cm_128_hmac_sha1_80}));
}

TEST(ParseControldConfig, FileAcceptsCommentLinesBlankLinesAndCrlf) {
    const std::string file =
        "# comment\r\n"
        "; also a comment\r\n"
        "\r\n"
        "  cli-group = msf   \r\n"
        "[policy]   \r\n"
        "  max-sessions=7\r\n";
    const auto c = ok({}, file);
    EXPECT_EQ(c.cli_group, "msf");
    EXPECT_EQ(c.policy.max_sessions, 7u);
}

TEST(ParseControldConfig, GeneralOptionsTakeTheirValues) {
    const auto c = ok({"--log-level=error", "--cli-socket=/tmp/c.sock", "--cli-group=msf-ops",
                       "--dataplane-socket=/tmp/d.sock", "--dataplane-retry-ms=10",
                       "--store=/tmp/s.db", "--store-key=/tmp/s.key"});
    EXPECT_EQ(c.log_level, LogLevel::error);
    EXPECT_EQ(c.cli_socket, "/tmp/c.sock");
    EXPECT_EQ(c.cli_group, "msf-ops");
    EXPECT_EQ(c.dataplane_socket, "/tmp/d.sock");
    EXPECT_EQ(c.dataplane_retry_ms, 10u);
    EXPECT_EQ(c.store, "/tmp/s.db");
    EXPECT_EQ(c.store_key, "/tmp/s.key");
    const std::vector<std::pair<std::string, LogLevel>> levels = {
        {"error", LogLevel::error}, {"warning", LogLevel::warning}, {"notice", LogLevel::notice},
        {"info", LogLevel::info},   {"debug", LogLevel::debug}};
    for (const auto& [name, level] : levels) {
        EXPECT_EQ(ok({"--log-level=" + name}).log_level, level) << name;
        EXPECT_EQ(log_level_name(level), name);
    }
}

TEST(ParseControldConfig, DiameterOptionsTakeTheirValues) {
    const auto c = ok({"--diameter.identity=MSF-1.ims.mnc001.mcc001.3gppnetwork.org",
                       "--diameter.realm=ims.mnc001.mcc001.3gppnetwork.org",
                       "--diameter.listen=0.0.0.0:3868", "--diameter.listen=[::]:3868",
                       "--diameter.tls-listen=[2001:db8::1]:5658",
                       "--diameter.tls-cert=/etc/msf/cert.pem",
                       "--diameter.tls-key=/etc/msf/key.pem",
                       "--diameter.tls-ca=/etc/msf/ca.pem", "--diameter.vendor-id=4294967295",
                       "--diameter.product-name=MSF Ünit 2", "--diameter.watchdog-ms=6000",
                       "--diameter.reconnect-ms=1000", "--diameter.max-message-bytes=16777215"});
    const DiameterConfig& d = c.diameter;
    EXPECT_EQ(d.identity, "MSF-1.ims.mnc001.mcc001.3gppnetwork.org");
    EXPECT_EQ(d.realm, "ims.mnc001.mcc001.3gppnetwork.org");
    EXPECT_EQ(d.listen,
              (std::vector<net::Endpoint>{endpoint("0.0.0.0:3868"), endpoint("[::]:3868")}));
    EXPECT_EQ(d.tls_listen, (std::vector<net::Endpoint>{endpoint("[2001:db8::1]:5658")}));
    EXPECT_EQ(d.tls_cert, "/etc/msf/cert.pem");
    EXPECT_EQ(d.tls_key, "/etc/msf/key.pem");
    EXPECT_EQ(d.tls_ca, "/etc/msf/ca.pem");
    EXPECT_EQ(d.vendor_id, 4294967295u);
    EXPECT_EQ(d.product_name, "MSF Ünit 2");
    EXPECT_EQ(d.watchdog_ms, 6000u);
    EXPECT_EQ(d.reconnect_ms, 1000u);
    EXPECT_EQ(d.max_message_bytes, 16777215u);
    EXPECT_TRUE(d.uses_tls());
    EXPECT_EQ(ok({"--diameter.max-message-bytes=4096"}).diameter.max_message_bytes, 4096u);
    EXPECT_EQ(ok({"--diameter.vendor-id=1"}).diameter.vendor_id, 1u);
}

TEST(ParseControldConfig, ListenNoneLeavesNoPlainListener) {
    const auto c = ok({"--diameter.listen=none", "--diameter.tls-listen=192.0.2.1:5658",
                       "--diameter.tls-cert=c.pem", "--diameter.tls-key=k.pem"});
    EXPECT_TRUE(c.diameter.listen.empty());
    EXPECT_NE(format_controld_config(c).find("\nlisten = none\n"), std::string::npos);
    EXPECT_TRUE(ok({}, "[diameter]\nlisten = none\n").diameter.listen.empty());
    EXPECT_EQ(error_of(run({}, "[diameter]\nlisten = none\nlisten = 192.0.2.1:1\n")),
              "config:2: diameter.listen: 'none' cannot be combined with other values");
    EXPECT_EQ(error_of(run({"--diameter.listen=192.0.2.1:1", "--diameter.listen=none"})),
              "diameter.listen: 'none' cannot be combined with other values");
}

TEST(ParseControldConfig, PeerTakesEveryKey) {
    const PeerConfig p = peer_of(
        "pcscf1.ims.example.net,address=192.0.2.50,connect=pcscf1.ims.example.net:3868,tls=yes,"
        "realm=ims.example.net,max-sessions=500,require-protection=no");
    EXPECT_EQ(p.identity, "pcscf1.ims.example.net");
    EXPECT_EQ(p.address, ip("192.0.2.50"));
    ASSERT_TRUE(p.connect);
    EXPECT_EQ(p.connect->host, "pcscf1.ims.example.net");
    EXPECT_EQ(p.connect->port, 3868u);
    EXPECT_TRUE(p.tls);
    EXPECT_EQ(p.realm, "ims.example.net");
    EXPECT_EQ(p.max_sessions, 500u);
    EXPECT_EQ(p.require_protection, false);
}

TEST(ParseControldConfig, PeerKeysAreOptionalAndAnyOrder) {
    const PeerConfig bare = peer_of("pcscf.example");
    EXPECT_EQ(bare.identity, "pcscf.example");
    EXPECT_FALSE(bare.address);
    EXPECT_FALSE(bare.connect);
    EXPECT_FALSE(bare.tls);
    EXPECT_EQ(bare.realm, "");
    EXPECT_EQ(bare.max_sessions, 0u);
    EXPECT_FALSE(bare.require_protection);

    const PeerConfig p = peer_of("pcscf.example,require-protection=yes,address=2001:db8::5");
    EXPECT_EQ(p.address, ip("2001:db8::5"));
    EXPECT_EQ(p.require_protection, true);
    EXPECT_FALSE(peer_of("pcscf.example,tls=no").tls);
    const PeerConfig spaced = peer_of("pcscf.example , tls = yes ,\trealm=r.example");
    EXPECT_EQ(spaced.identity, "pcscf.example");
    EXPECT_TRUE(spaced.tls);
    EXPECT_EQ(spaced.realm, "r.example");
    EXPECT_EQ(peer_of("localhost,address=127.0.0.1").address, ip("127.0.0.1"));
}

TEST(ParseControldConfig, PeerConnectTakesNamesAndAddresses) {
    EXPECT_EQ(peer_of("p.example,connect=192.0.2.5:3868").connect,
              (ConnectTarget{"192.0.2.5", 3868}));
    EXPECT_EQ(peer_of("p.example,connect=[2001:db8::5]:3869").connect,
              (ConnectTarget{"2001:db8::5", 3869}));
    EXPECT_EQ(peer_of("p.example,connect=[2001:DB8:0::5]:1").connect,
              (ConnectTarget{"2001:db8::5", 1}));  // normalised
    EXPECT_EQ(peer_of("p.example,connect=localhost:65535").connect,
              (ConnectTarget{"localhost", 65535}));
    EXPECT_EQ((ConnectTarget{"2001:db8::5", 3869}).to_string(), "[2001:db8::5]:3869");
    EXPECT_EQ((ConnectTarget{"p.example", 3868}).to_string(), "p.example:3868");
}

TEST(ParseControldConfig, MediaOptionsTakeTheirValues) {
    const auto c = ok({"--media.access-ipv4=192.0.2.1", "--media.access-ipv4=192.0.2.2",
                       "--media.access-ipv6=2001:db8:a::1", "--media.core-ipv6=2001:db8:c::1",
                       "--media.core-ipv4=198.51.100.1", "--media.port-min=1024",
                       "--media.port-max=1025", "--media.replay-window=1024",
                       "--media.inactivity-timeout-ms=1000", "--media.rtcp-mux=yes"});
    EXPECT_EQ(c.media.access_ipv4.size(), 2u);
    EXPECT_EQ(c.media.access_ipv6, (std::vector<net::IpAddr>{ip("2001:db8:a::1")}));
    EXPECT_EQ(c.media.core_ipv6, (std::vector<net::IpAddr>{ip("2001:db8:c::1")}));
    EXPECT_EQ(c.media.port_min, 1024u);
    EXPECT_EQ(c.media.port_max, 1025u);
    EXPECT_EQ(c.media.replay_window, 1024u);
    EXPECT_EQ(c.media.inactivity_timeout_ms, 1000u);
    EXPECT_EQ(c.media.rtcp_mux, RtcpMux::always);
    EXPECT_EQ(ok({"--media.rtcp-mux=no"}).media.rtcp_mux, RtcpMux::never);
    EXPECT_EQ(ok({"--media.rtcp-mux=auto"}).media.rtcp_mux, RtcpMux::from_request);
    EXPECT_EQ(ok({"--media.replay-window=64"}).media.replay_window, 64u);
    EXPECT_EQ(ok({"--media.inactivity-timeout-ms=86400000"}).media.inactivity_timeout_ms,
              86400000u);
}

TEST(ParseControldConfig, AnIpv6OnlyMediaSideIsEnough) {
    const auto result =
        run({"--media.access-ipv6=2001:db8:a::1", "--media.core-ipv6=2001:db8:c::1"}, {},
            /*minimal=*/false);
    ASSERT_TRUE(std::holds_alternative<ControldConfig>(result)) << error_of(result);
    EXPECT_TRUE(std::get<ControldConfig>(result).media.access_ipv4.empty());
}

TEST(ParseControldConfig, PolicyOptionsTakeTheirValues) {
    const auto c = ok({"--policy.suites=AEAD_AES_128_GCM",
                       "--policy.suites=AES_256_CM_HMAC_SHA1_32",
                       "--policy.default-suite=AEAD_AES_128_GCM", "--policy.require-protection=no",
                       "--policy.require-protection-realm=ims.example.net",
                       "--policy.require-protection-realm=visited.example",
                       "--policy.max-sessions=16777216", "--policy.max-sessions-per-peer=16777216",
                       "--policy.generate-to-ue-key=no", "--policy.auth-failure-storm=0"});
    EXPECT_EQ(c.policy.suites, (std::vector<srtp::Suite>{srtp::Suite::aead_aes_128_gcm,
                                                         srtp::Suite::aes_256_cm_hmac_sha1_32}));
    EXPECT_EQ(c.policy.default_suite, srtp::Suite::aead_aes_128_gcm);
    EXPECT_FALSE(c.policy.require_protection);
    EXPECT_EQ(c.policy.require_protection_realms,
              (std::vector<std::string>{"ims.example.net", "visited.example"}));
    EXPECT_EQ(c.policy.max_sessions, 16777216u);
    EXPECT_EQ(c.policy.max_sessions_per_peer, 16777216u);
    EXPECT_FALSE(c.policy.generate_to_ue_key);
    EXPECT_EQ(c.policy.auth_failure_storm, 0u);
    EXPECT_EQ(ok({"--policy.auth-failure-storm=1000000"}).policy.auth_failure_storm, 1000000u);
}

TEST(ParseControldConfig, BooleansTakeTheUsualSpellings) {
    for (const char* no : {"no", "false", "off", "0"})
        EXPECT_FALSE(
            ok({std::string("--policy.require-protection=") + no}).policy.require_protection);
    for (const char* yes : {"yes", "true", "on", "1"})
        EXPECT_TRUE(
            ok({std::string("--policy.generate-to-ue-key=") + yes}).policy.generate_to_ue_key);
    EXPECT_FALSE(ok({}, "[policy]\nrequire-protection = no\n").policy.require_protection);
    EXPECT_TRUE(ok({"--policy.require-protection=yes"}, "[policy]\nrequire-protection = no\n")
                    .policy.require_protection);
    EXPECT_EQ(error_of(run({"--policy.require-protection"})),
              "policy.require-protection: needs a value (--policy.require-protection=...)");
}

TEST(ParseControldConfig, MsrpRelayIsOffByDefaultAndNeedsBothAddressesWhenOn) {
    EXPECT_FALSE(ok({}).msrp.enabled());
    const auto c = ok({"--msrp.socket=/run/msf/msrpd.sock", "--msrp.access-address=192.0.2.10:2855",
                       "--msrp.core-address=[2001:db8:c::1]:2855"});
    EXPECT_TRUE(c.msrp.enabled());
    EXPECT_EQ(c.msrp.socket, "/run/msf/msrpd.sock");
    EXPECT_EQ(c.msrp.access_address.to_string(), "192.0.2.10:2855");
    EXPECT_EQ(c.msrp.core_address.to_string(), "[2001:db8:c::1]:2855");
    const auto refused = [](std::vector<std::string> args, const std::string& expected) {
        const std::string e = error_of(run(std::move(args)));
        EXPECT_NE(e.find(expected), std::string::npos) << e;
    };
    refused({"--msrp.socket=/run/msf/msrpd.sock"}, "needs msrp.access-address and msrp.core-address");
    refused({"--msrp.access-address=192.0.2.10:2855"}, "msrp.socket is not");
    refused({"--msrp.socket=/s", "--msrp.access-address=0.0.0.0:2855", "--msrp.core-address=192.0.2.1:1"},
            "msrp.access-address");
    refused({"--msrp.socket=/s", "--msrp.access-address=192.0.2.10:0", "--msrp.core-address=192.0.2.1:1"},
            "port 0");
}

TEST(ValidDiameterIdentity, AcceptsFqdnsAndRefusesTheRest) {
    for (const char* good : {"a", "msf.localdomain", "MSF-1.example.NET", "1a.example", "x.y1",
                             "pcscf.ims.mnc001.mcc001.3gppnetwork.org"}) {
        EXPECT_TRUE(valid_diameter_identity(good)) << good;
    }
    const std::string label63(63, 'a');
    EXPECT_TRUE(valid_diameter_identity(label63 + ".example"));
    EXPECT_FALSE(valid_diameter_identity(label63 + "a.example"));
    std::string long_name;  // 4 x 63 + 3 dots = 255 bytes: the limit
    for (int i = 0; i < 4; ++i) long_name += (i ? "." : "") + label63;
    EXPECT_TRUE(valid_diameter_identity(long_name));
    EXPECT_FALSE(valid_diameter_identity(long_name + "a"));
    for (const char* bad : {"", ".", "a.", ".a", "a..b", "-a.b", "a-.b", "a_b.c", "a b", "a.b\n",
                            "1.2.3.4", "192.0.2.1", "a.123", "pcscf:3868", "a/b", "ä.example"}) {
        EXPECT_FALSE(valid_diameter_identity(bad)) << bad;
    }
}

struct BadCase {
    std::vector<std::string> args;
    std::optional<std::string> file;
    std::string message;
};

const std::string kPeerKeys =
    "(keys: address, connect, tls, realm, max-sessions, require-protection)";
const std::string kNotIdentity =
    " is not a DiameterIdentity (an FQDN: dot-separated labels of letters, digits and '-', "
    "RFC 6733 §4.3.1)";
const std::string kNotHostPort =
    " is not HOST:PORT (pcscf.example.net:3868, 192.0.2.5:3868, [2001:db8::5]:3868)";
const std::string kNotListen =
    " is not address:port (192.0.2.1:3868, [2001:db8::1]:3868, 0.0.0.0:3868)";
const std::string kTls = "--diameter.tls-cert=c.pem";
const std::string kTlsKey = "--diameter.tls-key=k.pem";

// Each case: the exact one-line message.
const std::vector<BadCase> kBadCases = {
    // General.
    {{"--log-level=notice2"}, {},
     "log-level: 'notice2' is not a log level (error, warning, notice, info, debug)"},
    {{"--log-level=emergency"}, {},
     "log-level: 'emergency' is not a log level (error, warning, notice, info, debug)"},
    {{"--cli-socket=" + std::string(108, 'x')}, {}, "cli-socket: path is longer than 107 bytes"},
    {{}, "cli-socket =\n", "config:1: cli-socket: must not be empty"},
    {{"--cli-socket="}, {}, "cli-socket: needs a value after '='"},
    {{"--cli-group=-x"}, {},
     "cli-group: '-x' is not a group name (1..32 letters, digits, '_', '-', '.'; not starting "
     "with '-')"},
    {{"--cli-group=a b"}, {},
     "cli-group: 'a b' is not a group name (1..32 letters, digits, '_', '-', '.'; not starting "
     "with '-')"},
    {{"--cli-group=" + std::string(33, 'g')}, {},
     "cli-group: '" + std::string(33, 'g') +
         "' is not a group name (1..32 letters, digits, '_', '-', '.'; not starting with '-')"},
    {{}, "cli-group = \n", "config:1: cli-group: '' is not a group name (1..32 letters, digits, "
                           "'_', '-', '.'; not starting with '-')"},
    {{"--dataplane-socket=" + std::string(200, 'd')}, {},
     "dataplane-socket: path is longer than 107 bytes"},
    {{"--dataplane-socket=/run/msf/controld.sock"}, {},
     "cli-socket: '/run/msf/controld.sock' is also the dataplane-socket"},
    {{"--dataplane-retry-ms=9"}, {}, "dataplane-retry-ms: 9 is too small (10..3600000)"},
    {{"--dataplane-retry-ms=3600001"}, {},
     "dataplane-retry-ms: 3600001 is too large (10..3600000)"},
    {{"--dataplane-retry-ms=1s"}, {}, "dataplane-retry-ms: '1s' is not a number"},
    {{}, "store =\n", "config:1: store: must not be empty"},
    {{}, "store-key =\n", "config:1: store-key: must not be empty"},
    {{"--store-key=/var/lib/msf/controld.db"}, {},
     "store-key: '/var/lib/msf/controld.db' is also the store"},

    // [diameter]: single values.
    {{"--diameter.identity=msf_1.example"}, {},
     "diameter.identity: 'msf_1.example'" + kNotIdentity},
    {{"--diameter.identity=192.0.2.1"}, {}, "diameter.identity: '192.0.2.1'" + kNotIdentity},
    {{"--diameter.realm=example..net"}, {}, "diameter.realm: 'example..net'" + kNotIdentity},
    {{"--diameter.vendor-id=0"}, {}, "diameter.vendor-id: 0 is not allowed (1..4294967295)"},
    {{"--diameter.vendor-id=4294967296"}, {},
     "diameter.vendor-id: 4294967296 is too large (1..4294967295)"},
    {{"--diameter.vendor-id=-1"}, {}, "diameter.vendor-id: '-1' is not a number"},
    {{"--diameter.product-name=" + std::string(256, 'p')}, {},
     "diameter.product-name: must be 1..255 bytes"},
    {{"--diameter.product-name=a\xff"}, {}, "diameter.product-name: 'a\xff' is not UTF-8"},
    {{"--diameter.product-name=\xc0\xaf"}, {},
     "diameter.product-name: '\xc0\xaf' is not UTF-8"},  // overlong '/'
    {{"--diameter.product-name=\xed\xa0\x80"}, {},
     "diameter.product-name: '\xed\xa0\x80' is not UTF-8"},  // a surrogate
    {{"--diameter.product-name=\xe2\x82"}, {},
     "diameter.product-name: '\xe2\x82' is not UTF-8"},  // truncated
    {{}, "[diameter]\nproduct-name =\n", "config:2: diameter.product-name: must be 1..255 bytes"},
    {{"--diameter.watchdog-ms=5999"}, {},
     "diameter.watchdog-ms: 5999 is too small (6000..3600000)"},
    {{"--diameter.reconnect-ms=999"}, {},
     "diameter.reconnect-ms: 999 is too small (1000..3600000)"},
    {{"--diameter.max-message-bytes=4095"}, {},
     "diameter.max-message-bytes: 4095 is too small (4096..16777215)"},
    {{"--diameter.max-message-bytes=16777216"}, {},
     "diameter.max-message-bytes: 16777216 is too large (4096..16777215)"},

    // [diameter]: listeners.
    {{"--diameter.listen=127.0.0.1"}, {}, "diameter.listen: '127.0.0.1'" + kNotListen},
    {{"--diameter.listen=2001:db8::1:3868"}, {},
     "diameter.listen: '2001:db8::1:3868'" + kNotListen},
    {{"--diameter.listen=host.example:3868"}, {},
     "diameter.listen: 'host.example:3868'" + kNotListen},
    {{"--diameter.listen=127.0.0.1:65536"}, {}, "diameter.listen: '127.0.0.1:65536'" + kNotListen},
    {{"--diameter.listen=127.0.0.1:0"}, {},
     "diameter.listen: 127.0.0.1:0: port 0 is not allowed"},
    {{"--diameter.listen=224.0.0.1:3868"}, {},
     "diameter.listen: 224.0.0.1 is not a unicast address"},
    {{"--diameter.listen=[ff02::1]:3868"}, {}, "diameter.listen: ff02::1 is not a unicast address"},
    {{"--diameter.listen=127.0.0.1:3868", "--diameter.listen=127.0.0.1:3868"}, {},
     "diameter.listen: 127.0.0.1:3868 is listed twice"},
    {{"--diameter.listen=127.0.0.1:3868", "--diameter.listen=0.0.0.0:3868"}, {},
     "diameter.listen: 0.0.0.0:3868 overlaps diameter.listen 127.0.0.1:3868 (same port)"},
    {{"--diameter.tls-listen=127.0.0.1:3868", kTls, kTlsKey}, {},
     "diameter.tls-listen: 127.0.0.1:3868 overlaps diameter.listen 127.0.0.1:3868 (same port)"},
    {{"--diameter.tls-listen=[::]:5658", "--diameter.tls-listen=[2001:db8::1]:5658", kTls,
      kTlsKey},
     {},
     "diameter.tls-listen: [2001:db8::1]:5658 overlaps diameter.tls-listen [::]:5658 (same "
     "port)"},
    {{"--diameter.tls-listen=none"}, {}, "diameter.tls-listen: 'none'" + kNotListen},

    // [diameter]: TLS files.
    {{"--diameter.tls-listen=127.0.0.1:5658"}, {},
     "diameter.tls-cert: not set, but diameter.tls-listen is"},
    {{"--diameter.peer=p.example,tls=yes,connect=192.0.2.5:5658"}, {},
     "diameter.tls-cert: not set, but peer p.example uses TLS"},
    {{kTls}, {}, "diameter.tls-key: not set, but diameter.tls-cert is"},
    {{kTlsKey}, {}, "diameter.tls-cert: not set, but diameter.tls-key is"},
    {{}, "[diameter]\ntls-ca =\n", "config:2: diameter.tls-ca: must not be empty"},

    // [diameter]: peers.
    {{"--diameter.peer=p_1.example"}, {}, "diameter.peer: 'p_1.example'" + kNotIdentity},
    {{"--diameter.peer=,tls=yes"}, {}, "diameter.peer: ''" + kNotIdentity},
    {{"--diameter.peer=p.example,"}, {}, "diameter.peer: p.example: '' is not key=value"},
    {{"--diameter.peer=p.example,tls"}, {}, "diameter.peer: p.example: 'tls' is not key=value"},
    {{"--diameter.peer=p.example,port=3868"}, {},
     "diameter.peer: p.example: unknown key 'port' " + kPeerKeys},
    {{"--diameter.peer=p.example,Tls=yes"}, {},
     "diameter.peer: p.example: unknown key 'Tls' " + kPeerKeys},
    {{"--diameter.peer=p.example,tls=yes,tls=no"}, {},
     "diameter.peer: p.example: tls is given twice"},
    {{"--diameter.peer=p.example,tls=maybe"}, {},
     "diameter.peer: p.example: tls: 'maybe' is not a boolean (yes/no, true/false, on/off, 1/0)"},
    {{"--diameter.peer=p.example,address=192.0.2"}, {},
     "diameter.peer: p.example: address: '192.0.2' is not an IP address"},
    {{"--diameter.peer=p.example,address=0.0.0.0"}, {},
     "diameter.peer: p.example: address: 0.0.0.0 is the unspecified address, not a peer's"},
    {{"--diameter.peer=p.example,address=::"}, {},
     "diameter.peer: p.example: address: :: is the unspecified address, not a peer's"},
    {{"--diameter.peer=p.example,address=255.255.255.255"}, {},
     "diameter.peer: p.example: address: 255.255.255.255 is not a unicast address"},
    {{"--diameter.peer=p.example,connect=p.example"}, {},
     "diameter.peer: p.example: connect: 'p.example'" + kNotHostPort},
    {{"--diameter.peer=p.example,connect=p_x.example:3868"}, {},
     "diameter.peer: p.example: connect: 'p_x.example:3868'" + kNotHostPort},
    {{"--diameter.peer=p.example,connect=[192.0.2.5]:3868"}, {},
     "diameter.peer: p.example: connect: '[192.0.2.5]:3868'" + kNotHostPort},
    {{"--diameter.peer=p.example,connect=[2001:db8::5]3868"}, {},
     "diameter.peer: p.example: connect: '[2001:db8::5]3868'" + kNotHostPort},
    {{"--diameter.peer=p.example,connect=2001:db8::5:3868"}, {},
     "diameter.peer: p.example: connect: '2001:db8::5:3868': an IPv6 address goes in brackets "
     "([2001:db8::5]:3868)"},
    {{"--diameter.peer=p.example,connect=192.0.2.5:0"}, {},
     "diameter.peer: p.example: connect: 0 is not allowed (1..65535)"},
    {{"--diameter.peer=p.example,connect=192.0.2.5:"}, {},
     "diameter.peer: p.example: connect: '' is not a number"},
    {{"--diameter.peer=p.example,connect=224.1.1.1:3868"}, {},
     "diameter.peer: p.example: connect: 224.1.1.1 is not a unicast address"},
    {{"--diameter.peer=p.example,realm=-bad"}, {},
     "diameter.peer: p.example: realm: '-bad'" + kNotIdentity},
    {{"--diameter.peer=p.example,max-sessions=0"}, {},
     "diameter.peer: p.example: max-sessions: 0 is not allowed (1..16777216)"},
    {{"--diameter.peer=p.example,max-sessions=100001"}, {},
     "diameter.peer: p.example: max-sessions=100001 exceeds policy.max-sessions 100000"},
    {{"--diameter.peer=p.example,require-protection=sometimes"}, {},
     "diameter.peer: p.example: require-protection: 'sometimes' is not a boolean (yes/no, "
     "true/false, on/off, 1/0)"},
    {{"--diameter.peer=p.example", "--diameter.peer=P.Example,tls=no"}, {},
     "diameter.peer: P.Example is listed twice"},
    {{"--diameter.peer=MSF.localdomain"}, {},
     "diameter.peer: MSF.localdomain is this MSF's own identity (diameter.identity)"},
    {{"--diameter.peer=a.example,connect=p.example:3868",
      "--diameter.peer=b.example,connect=P.EXAMPLE:3868"}, {},
     "diameter.peer: b.example: connect=P.EXAMPLE:3868 is also peer a.example's"},
    {{"--diameter.peer=p.example,tls=yes", kTls, kTlsKey}, {},
     "diameter.peer: p.example: tls=yes but no diameter.tls-listen address to reach us on (add "
     "one, or connect=HOST:PORT)"},
    {{"--diameter.peer=p.example", "--diameter.listen=none"}, {},
     "diameter.peer: p.example: tls=no but no diameter.listen address to reach us on (add one, "
     "or connect=HOST:PORT)"},
    {{"--diameter.peer=p.example,address=2001:db8::5"}, {},
     "diameter.peer: p.example: address 2001:db8::5 is IPv6 but no diameter.listen address is"},
    {{"--diameter.peer=p.example,address=192.0.2.5,tls=yes", "--diameter.tls-listen=[::]:5658",
      kTls, kTlsKey},
     {},
     "diameter.peer: p.example: address 192.0.2.5 is IPv4 but no diameter.tls-listen address "
     "is"},
    {{}, "[diameter]\npeer = p.example\npeer = q.example,bogus=1\n",
     "config:3: diameter.peer: q.example: unknown key 'bogus' " + kPeerKeys},

    // [media].
    {{"--media.access-ipv4=x.y"}, {}, "media.access-ipv4: 'x.y' is not an IPv4 address"},
    {{"--media.access-ipv4=2001:db8::1"}, {},
     "media.access-ipv4: '2001:db8::1' is not an IPv4 address"},
    {{"--media.access-ipv6=192.0.2.9"}, {},
     "media.access-ipv6: '192.0.2.9' is not an IPv6 address"},
    {{"--media.core-ipv4=127.0.0.1"}, {}, "media.core-ipv4: 127.0.0.1 is not a unicast address"},
    {{"--media.core-ipv4=0.0.0.0"}, {}, "media.core-ipv4: 0.0.0.0 is not a unicast address"},
    {{"--media.core-ipv4=0.1.2.3"}, {}, "media.core-ipv4: 0.1.2.3 is not a unicast address"},
    {{"--media.core-ipv6=::1"}, {}, "media.core-ipv6: ::1 is not a unicast address"},
    {{"--media.core-ipv6=ff02::1"}, {}, "media.core-ipv6: ff02::1 is not a unicast address"},
    {{"--media.access-ipv4=192.0.2.1", "--media.access-ipv4=192.0.2.1"}, {},
     "media.access-ipv4: 192.0.2.1 is listed twice"},
    {{"--media.core-ipv4=192.0.2.1"}, {},
     "media.core-ipv4: 192.0.2.1 is also in media.access-ipv4"},
    {{"--media.access-ipv6=2001:db8::1", "--media.core-ipv6=2001:db8::1"}, {},
     "media.core-ipv6: 2001:db8::1 is also in media.access-ipv6"},
    {{"--media.port-min=16385"}, {},
     "media.port-min: must be even and below media.port-max (16385, media.port-max 65535)"},
    {{"--media.port-min=20000", "--media.port-max=20000"}, {},
     "media.port-min: must be even and below media.port-max (20000, media.port-max 20000)"},
    {{"--media.port-min=30000", "--media.port-max=20000"}, {},
     "media.port-min: must be even and below media.port-max (30000, media.port-max 20000)"},
    {{"--media.port-min=1023"}, {}, "media.port-min: 1023 is too small (1024..65534)"},
    {{"--media.port-max=65536"}, {}, "media.port-max: 65536 is too large (1025..65535)"},
    {{"--media.replay-window=100"}, {}, "media.replay-window: 100 is not a power of two"},
    {{"--media.replay-window=32"}, {}, "media.replay-window: 32 is too small (64..1024)"},
    {{"--media.replay-window=2048"}, {}, "media.replay-window: 2048 is too large (64..1024)"},
    {{"--media.inactivity-timeout-ms=999"}, {},
     "media.inactivity-timeout-ms: 999 is too small (0, or 1000..86400000)"},
    {{"--media.inactivity-timeout-ms=86400001"}, {},
     "media.inactivity-timeout-ms: 86400001 is too large (0..86400000)"},
    {{"--media.rtcp-mux=maybe"}, {}, "media.rtcp-mux: 'maybe' is not auto, yes or no"},
    {{"--media.rtcp-mux=true"}, {}, "media.rtcp-mux: 'true' is not auto, yes or no"},

    // [policy].
    {{"--policy.suites=aes_cm_128_hmac_sha1_80"}, {},
     "policy.suites: 'aes_cm_128_hmac_sha1_80' is not an SRTP suite (AES_CM_128_HMAC_SHA1_80, "
     "AES_CM_128_HMAC_SHA1_32, AES_256_CM_HMAC_SHA1_80, AES_256_CM_HMAC_SHA1_32, "
     "AEAD_AES_128_GCM, AEAD_AES_256_GCM)"},
    {{"--policy.suites=none"}, {}, "policy.suites: none; at least one suite is needed"},
    {{"--policy.suites=AEAD_AES_128_GCM", "--policy.suites=AEAD_AES_128_GCM",
      "--policy.default-suite=AEAD_AES_128_GCM"}, {},
     "policy.suites: AEAD_AES_128_GCM is listed twice"},
    {{"--policy.suites=AEAD_AES_128_GCM"}, {},
     "policy.default-suite: AES_CM_128_HMAC_SHA1_80 is not in policy.suites"},
    {{"--policy.default-suite=F8_128_HMAC_SHA1_80"}, {},
     "policy.default-suite: 'F8_128_HMAC_SHA1_80' is not an SRTP suite (AES_CM_128_HMAC_SHA1_80, "
     "AES_CM_128_HMAC_SHA1_32, AES_256_CM_HMAC_SHA1_80, AES_256_CM_HMAC_SHA1_32, "
     "AEAD_AES_128_GCM, AEAD_AES_256_GCM)"},
    {{"--policy.require-protection=maybe"}, {},
     "policy.require-protection: 'maybe' is not a boolean (yes/no, true/false, on/off, 1/0)"},
    {{"--policy.require-protection-realm=a..b"}, {},
     "policy.require-protection-realm: 'a..b'" + kNotIdentity},
    {{"--policy.require-protection-realm=ims.example",
      "--policy.require-protection-realm=IMS.example"}, {},
     "policy.require-protection-realm: IMS.example is listed twice"},
    {{"--policy.max-sessions=0"}, {}, "policy.max-sessions: 0 is not allowed (1..16777216)"},
    {{"--policy.max-sessions=16777217"}, {},
     "policy.max-sessions: 16777217 is too large (1..16777216)"},
    {{"--policy.max-sessions-per-peer=100001"}, {},
     "policy.max-sessions-per-peer: 100001 exceeds policy.max-sessions 100000"},
    {{"--policy.generate-to-ue-key=2"}, {},
     "policy.generate-to-ue-key: '2' is not a boolean (yes/no, true/false, on/off, 1/0)"},
    {{"--policy.auth-failure-storm=1000001"}, {},
     "policy.auth-failure-storm: 1000001 is too large (0..1000000)"},

    // Command line.
    {{"--diameter.idenity=x"}, {}, "unknown option '--diameter.idenity' (see --help)"},
    {{"--identity=x.example"}, {}, "unknown option '--identity' (see --help)"},
    {{"--log-level=info", "--log-level=debug"}, {},
     "log-level: given more than once on the command line"},
    {{"--store"}, {}, "store: needs a value (--store=...)"},
    {{"--version=1"}, {}, "version: takes no value"},
    {{"stray"}, {}, "unexpected argument 'stray' (options are --name=value)"},
    {{"--config=/nonexistent/controld.conf"}, {},
     "config: cannot read '/nonexistent/controld.conf': No such file or directory"},
    {{"--cli-group=a\nb"}, {}, "cli-group: 'a\\x0ab' contains a control character"},

    // Config file: name and line first.
    {{"--config=c.conf"}, "log-level = info\n[diameter]\nidentty = x\n",
     "c.conf:3: unknown option 'diameter.identty'"},
    {{"--config=c.conf"}, "[media]\nstore = /x\n",
     "c.conf:2: unknown option 'media.store' (options without a dot go before the first "
     "section)"},
    {{"--config=c.conf"}, "\n[access]\n",
     "c.conf:2: unknown section 'access' (sections: diameter, media, policy, msrp)"},
    {{"--config=c.conf"}, "[diameter\n", "c.conf:1: section header '[diameter' lacks its ']'"},
    {{"--config=c.conf"}, "garbage\n",
     "c.conf:1: expected 'name = value' or '[section]', got 'garbage'"},
    {{"--config=c.conf"}, "[policy]\nmax-sessions = 5\n\nmax-sessions = 6\n",
     "c.conf:4: policy.max-sessions is set twice (first on line 2)"},
    {{"--config=c.conf"}, "config = other.conf\n",
     "c.conf:1: 'config' is a command-line option only"},
    {{"--config=c.conf"}, "version = 1\n", "c.conf:1: 'version' is a command-line option only"},
    {{"--config=c.conf"}, "# x\n[media]\nreplay-window = 100\n",
     "c.conf:3: media.replay-window: 100 is not a power of two"},
    {{}, "dataplane-retry-ms = 5 # five\n",
     "config:1: dataplane-retry-ms: '5 # five' is not a number"},
    {{}, "store = /a\x01\n", "config:1: store: '/a\\x01' contains a control character"},
};

TEST(ParseControldConfig, EveryBadValueGetsOneLineNamingTheOption) {
    for (const auto& bad : kBadCases) {
        std::string where;
        for (const auto& a : bad.args) where += a + " ";
        if (bad.file) where += "file: " + *bad.file;
        const auto result = run(bad.args, bad.file);
        EXPECT_EQ(error_of(result), bad.message) << where;
        EXPECT_EQ(error_of(result).find('\n'), std::string::npos) << where;
    }
}

TEST(ParseControldConfig, MissingMediaAddressesAreNamed) {
    EXPECT_EQ(error_of(run({}, {}, false)),
              "media: no access address; set media.access-ipv4 or media.access-ipv6");
    EXPECT_EQ(error_of(run({"--media.access-ipv6=2001:db8::1"}, {}, false)),
              "media: no core address; set media.core-ipv4 or media.core-ipv6");
}

TEST(ParseControldConfig, TlsPeersAndListenersWorkWithCertificateAndKey) {
    const auto c = ok({"--diameter.peer=in.example,tls=yes,address=192.0.2.5",
                       "--diameter.peer=out.example,tls=yes,connect=[2001:db8::9]:5658",
                       "--diameter.tls-listen=0.0.0.0:5658", kTls, kTlsKey});
    ASSERT_EQ(c.diameter.peers.size(), 2u);
    EXPECT_TRUE(c.diameter.uses_tls());
    // A peer we connect to needs no listener of ours.
    const auto out = ok({"--diameter.listen=none", "--diameter.peer=out.example,connect=out:3868"});
    EXPECT_EQ(out.diameter.peers.at(0).connect, (ConnectTarget{"out", 3868}));
}

TEST(ParseControldConfig, HelpListsEveryOptionOfTheTableWithItsDefault) {
    const auto result = run({"--help"});
    ASSERT_TRUE(std::holds_alternative<InfoRequest>(result));
    const std::string& help = std::get<InfoRequest>(result).text;
    EXPECT_EQ(help.rfind("usage: msf-controld ", 0), 0u);
    for (const auto& spec : option_table()) {
        EXPECT_NE(help.find("--" + std::string(spec.name)), std::string::npos) << spec.name;
        EXPECT_NE(help.find(std::string(spec.help.substr(0, 30))), std::string::npos)
            << spec.name;
        if (!spec.default_value.empty() && spec.name != "policy.suites") {
            EXPECT_NE(help.find("--" + std::string(spec.name) + " " +
                                std::string(spec.value_name) + " (=" +
                                std::string(spec.default_value) + ")"),
                      std::string::npos)
                << spec.name;
        }
        if (spec.short_name != 0) {
            EXPECT_NE(help.find(std::string("-") + spec.short_name + " [ --" +
                                std::string(spec.name) + " ]"),
                      std::string::npos);
        }
    }
    // The suites' default is long; Boost wraps it, but every name is there.
    for (const auto& info : srtp::kSuites)
        EXPECT_NE(help.find(info.name), std::string::npos) << info.name;
    // Help wins over anything else on the line, even a broken option.
    EXPECT_TRUE(std::holds_alternative<InfoRequest>(run({"-h", "--media.port-min=1"})));
}

TEST(ParseControldConfig, VersionNamesTheProgram) {
    const auto result = run({"-V"}, {}, false);
    ASSERT_TRUE(std::holds_alternative<InfoRequest>(result));
    EXPECT_EQ(std::get<InfoRequest>(result).text.rfind("msf-controld ", 0), 0u);
}

TEST(ParseControldConfig, TableRowsAreWellFormed) {
    std::vector<std::string_view> names;
    for (const auto& spec : option_table()) {
        EXPECT_EQ(std::count(names.begin(), names.end(), spec.name), 0) << spec.name;
        names.push_back(spec.name);
        EXPECT_FALSE(spec.help.empty()) << spec.name;
        const bool command_line_only =
            spec.use == OptionUse::command_line || spec.use == OptionUse::command_line_flag;
        EXPECT_EQ(spec.apply == nullptr, command_line_only) << spec.name;
        const size_t dot = spec.name.find('.');
        if (dot != std::string_view::npos) {
            const auto section = spec.name.substr(0, dot);
            EXPECT_TRUE(section == "diameter" || section == "media" || section == "policy" ||
                    section == "msrp")
                << spec.name;
        }
    }
    EXPECT_EQ(row("diameter.peer").use, OptionUse::repeatable);
    EXPECT_EQ(row("media.core-ipv6").use, OptionUse::repeatable);
    EXPECT_EQ(row("policy.require-protection-realm").use, OptionUse::repeatable);
    EXPECT_EQ(row("config").short_name, 'c');
}

std::string read_example() {
    std::ifstream in(MSF_EXAMPLE_CONFIG);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(ExampleConfig, Parses) {
    const auto result = run({"--config=" MSF_EXAMPLE_CONFIG}, {}, false);
    ASSERT_TRUE(std::holds_alternative<ControldConfig>(result)) << error_of(result);
    const auto& c = std::get<ControldConfig>(result);
    EXPECT_EQ(c.config_file, MSF_EXAMPLE_CONFIG);
    EXPECT_FALSE(c.diameter.peers.empty());
    EXPECT_FALSE(c.media.access_ipv4.empty());
    EXPECT_FALSE(c.media.core_ipv4.empty());
    // Overrides on top of the example file work the same way.
    const auto small = run({"--config=" MSF_EXAMPLE_CONFIG, "--log-level=debug",
                            "--media.access-ipv4=203.0.113.1"},
                           {}, false);
    ASSERT_TRUE(std::holds_alternative<ControldConfig>(small)) << error_of(small);
    EXPECT_EQ(std::get<ControldConfig>(small).log_level, LogLevel::debug);
    EXPECT_EQ(std::get<ControldConfig>(small).media.access_ipv4,
              (std::vector<net::IpAddr>{ip("203.0.113.1")}));
}

TEST(ExampleConfig, DocumentsEveryFileOptionAndEveryPeerKey) {
    const std::string text = read_example();
    ASSERT_FALSE(text.empty());
    for (const auto& spec : option_table()) {
        if (spec.use != OptionUse::once && spec.use != OptionUse::repeatable) continue;
        const size_t dot = spec.name.find('.');
        const std::string key(dot == std::string_view::npos ? spec.name
                                                            : spec.name.substr(dot + 1));
        // Either set or shown commented.
        const bool present = text.find("\n" + key + " = ") != std::string::npos ||
                             text.find("\n# " + key + " = ") != std::string::npos;
        EXPECT_TRUE(present) << spec.name;
    }
    for (const char* key : {"address=", "connect=", "tls=", "realm=", "max-sessions=",
                            "require-protection="})
        EXPECT_NE(text.find(key), std::string::npos) << key;
}

ControldConfig round_trip(const ControldConfig& original) {
    const std::string text = format_controld_config(original);
    const auto again = run({"--config=effective.conf"}, text, /*minimal=*/false);
    if (!std::holds_alternative<ControldConfig>(again)) {
        ADD_FAILURE() << error_of(again) << "\n" << text;
        return {};
    }
    return std::get<ControldConfig>(again);
}

TEST(FormatControldConfig, ParsesBackToTheSameConfig) {
    const auto original = ok(
        {"--log-level=warning", "--cli-group=msf", "--dataplane-retry-ms=250",
         "--diameter.identity=msf.ims.example.net", "--diameter.realm=ims.example.net",
         "--diameter.listen=none", "--diameter.tls-listen=[2001:db8::1]:5658",
         "--diameter.tls-listen=192.0.2.1:5658", kTls, kTlsKey, "--diameter.tls-ca=ca.pem",
         "--diameter.vendor-id=10415", "--diameter.product-name=MSF Ünit  two",
         "--diameter.peer=a.example,address=2001:db8::5,tls=yes,realm=ims.example.net,"
         "max-sessions=10,require-protection=no",
         "--diameter.peer=b.example,connect=[2001:db8::9]:3868,tls=no,require-protection=yes",
         "--diameter.peer=c.example,connect=c.example:3868,address=192.0.2.8,tls=yes",
         "--media.access-ipv6=2001:db8:a::1", "--media.core-ipv6=2001:db8:c::1",
         "--media.port-min=30000", "--media.port-max=30001", "--media.replay-window=512",
         "--media.inactivity-timeout-ms=5000", "--media.rtcp-mux=no",
         "--policy.suites=AEAD_AES_256_GCM", "--policy.suites=AES_256_CM_HMAC_SHA1_32",
         "--policy.default-suite=AES_256_CM_HMAC_SHA1_32", "--policy.require-protection=no",
         "--policy.require-protection-realm=visited.example", "--policy.max-sessions=20",
         "--policy.max-sessions-per-peer=10", "--policy.generate-to-ue-key=no",
         "--policy.auth-failure-storm=0", "--msrp.socket=/run/msrpd.sock",
         "--msrp.access-address=192.0.2.10:2855", "--msrp.core-address=[2001:db8:c::1]:2856"});
    ControldConfig expected = original;
    expected.config_file = "effective.conf";
    EXPECT_EQ(round_trip(original), expected) << format_controld_config(original);
    EXPECT_EQ(original.diameter.peers.at(0).to_string(),
              "a.example,address=2001:db8::5,tls=yes,realm=ims.example.net,max-sessions=10,"
              "require-protection=no");
    EXPECT_EQ(original.diameter.peers.at(1).to_string(),
              "b.example,connect=[2001:db8::9]:3868,require-protection=yes");
}

TEST(FormatControldConfig, DefaultsParseBackToTheSameConfig) {
    const auto original = ok({});
    ControldConfig expected = original;
    expected.config_file = "effective.conf";
    EXPECT_EQ(round_trip(original), expected) << format_controld_config(original);
}

}  // namespace
}  // namespace msf::controld
