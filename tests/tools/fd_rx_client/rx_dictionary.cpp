#include "tests/tools/fd_rx_client/rx_dictionary.hpp"

#include <cerrno>
#include <cstring>

namespace msf::fdrx {

namespace {

constexpr bool table_matches_ids() {
    for (size_t i = 0; i < kAvps.size(); ++i)
        if (static_cast<size_t>(kAvps[i].id) != i) return false;
    return true;
}
static_assert(table_matches_ids(), "kAvps rows must be in AvpId order");
static_assert(static_cast<size_t>(AvpId::msf_event_cause) + 1 == kAvps.size(), "every AvpId has a row");

struct CommandName {
    uint32_t code;
    std::string_view request;
    std::string_view answer;
};

constexpr std::array<CommandName, 7> kCommands = {{
    {kCodeCapabilitiesExchange, "CER", "CEA"},
    {kCodeReAuth, "RAR", "RAA"},
    {kCodeAa, "AAR", "AAA"},
    {kCodeAbortSession, "ASR", "ASA"},
    {kCodeSessionTermination, "STR", "STA"},
    {kCodeDeviceWatchdog, "DWR", "DWA"},
    {kCodeDisconnectPeer, "DPR", "DPA"},
}};

// freeDiameter's dictionary structures take char* names it copies.
char* name_arg(std::string_view name, std::string& storage) {
    storage.assign(name);
    return storage.data();
}

std::string failed(std::string_view what, std::string_view name, int error) {
    return std::string(what) + " " + std::string(name) + ": " + std::strerror(error);
}

}  // namespace

std::optional<std::string_view> command_abbreviation(uint32_t code, bool request) {
    for (const CommandName& c : kCommands)
        if (c.code == code) return request ? c.request : c.answer;
    return std::nullopt;
}

std::string json_key(std::string_view avp_name) {
    std::string out;
    out.reserve(avp_name.size());
    for (const char c : avp_name) {
        if (c == '-') out.push_back('_');
        else if (c >= 'A' && c <= 'Z') out.push_back(static_cast<char>(c - 'A' + 'a'));
        else out.push_back(c);
    }
    return out;
}

uint32_t RxDictionary::vendor_of(const AvpInfo& info) const {
    switch (info.owner) {
        case AvpOwner::base:
        case AvpOwner::nasreq: return 0;
        case AvpOwner::rx: return k3gppVendorId;
        case AvpOwner::msf: return msf_vendor_id_;
    }
    return 0;
}

const AvpInfo* RxDictionary::find(uint32_t code, uint32_t vendor_id) const {
    for (const AvpInfo& info : kAvps)
        if (info.code == code && vendor_of(info) == vendor_id) return &info;
    return nullptr;
}

std::optional<std::string> RxDictionary::define(struct dictionary* dict, uint32_t msf_vendor_id) {
    msf_vendor_id_ = msf_vendor_id;
    std::string storage;
    int rc = 0;

    // Vendors, then the application under 3GPP.
    auto vendor = [&](uint32_t id, std::string_view name, struct dict_object** out) -> std::optional<std::string> {
        vendor_id_t vid = id;
        if (fd_dict_search(dict, DICT_VENDOR, VENDOR_BY_ID, &vid, out, 0) == 0 && *out) return std::nullopt;
        dict_vendor_data data{id, name_arg(name, storage)};
        if ((rc = fd_dict_new(dict, DICT_VENDOR, &data, nullptr, out)) != 0) return failed("vendor", name, rc);
        return std::nullopt;
    };
    struct dict_object* vendor_msf = nullptr;
    if (auto e = vendor(k3gppVendorId, "3GPP", &vendor_3gpp)) return e;
    if (auto e = vendor(msf_vendor_id, "MSF", &vendor_msf)) return e;
    {
        dict_application_data data{kRxApplicationId, name_arg("3GPP Rx", storage)};
        if ((rc = fd_dict_new(dict, DICT_APPLICATION, &data, vendor_3gpp, &rx_application)) != 0)
            return failed("application", "3GPP Rx", rc);
    }

    // AVPs: base ones are looked up, the others defined with their derived or enumerated type.
    auto derived_type = [&](AvpType type) -> const char* {
        switch (type) {
            case AvpType::utf8: return "UTF8String";
            case AvpType::identity: return "DiameterIdentity";
            case AvpType::ipfilter: return "IPFilterRule";
            case AvpType::address: return "Address";
            default: return nullptr;
        }
    };
    for (const AvpInfo& info : kAvps) {
        struct dict_object*& slot = avps_[static_cast<size_t>(info.id)];
        if (info.owner == AvpOwner::base) {
            storage.assign(info.name);
            if ((rc = fd_dict_search(dict, DICT_AVP, AVP_BY_NAME, storage.c_str(), &slot, ENOENT)) != 0)
                return failed("base AVP", info.name, rc);
            continue;
        }
        struct dict_object* type = nullptr;
        if (const char* derived = derived_type(info.type)) {
            if ((rc = fd_dict_search(dict, DICT_TYPE, TYPE_BY_NAME, derived, &type, ENOENT)) != 0)
                return failed("type", derived, rc);
        } else if (info.type == AvpType::enumerated) {
            std::string type_name = "Enumerated(" + std::string(info.name) + ")";
            dict_type_data data{};
            data.type_base = AVP_TYPE_INTEGER32;
            data.type_name = type_name.data();
            if ((rc = fd_dict_new(dict, DICT_TYPE, &data, nullptr, &type)) != 0) return failed("type", type_name, rc);
        }
        dict_avp_data data{};
        data.avp_code = info.code;
        data.avp_vendor = vendor_of(info);
        data.avp_name = name_arg(info.name, storage);
        switch (info.owner) {
            case AvpOwner::nasreq:
                data.avp_flag_mask = AVP_FLAG_VENDOR | AVP_FLAG_MANDATORY;
                data.avp_flag_val = AVP_FLAG_MANDATORY;
                break;
            case AvpOwner::rx:
                data.avp_flag_mask = AVP_FLAG_VENDOR | AVP_FLAG_MANDATORY;
                data.avp_flag_val = AVP_FLAG_VENDOR | AVP_FLAG_MANDATORY;
                break;
            case AvpOwner::msf:
            case AvpOwner::base:
                data.avp_flag_mask = AVP_FLAG_VENDOR;
                data.avp_flag_val = AVP_FLAG_VENDOR;
                break;
        }
        switch (info.type) {
            case AvpType::grouped: data.avp_basetype = AVP_TYPE_GROUPED; break;
            case AvpType::unsigned32: data.avp_basetype = AVP_TYPE_UNSIGNED32; break;
            case AvpType::unsigned64: data.avp_basetype = AVP_TYPE_UNSIGNED64; break;
            case AvpType::enumerated: data.avp_basetype = AVP_TYPE_INTEGER32; break;
            case AvpType::octets:
            case AvpType::utf8:
            case AvpType::identity:
            case AvpType::ipfilter:
            case AvpType::address: data.avp_basetype = AVP_TYPE_OCTETSTRING; break;
        }
        if ((rc = fd_dict_new(dict, DICT_AVP, &data, type, &slot)) != 0) return failed("AVP", info.name, rc);
    }

    auto rule = [&](struct dict_object* parent, AvpId id, enum rule_position position, int min,
                    int max) -> std::optional<std::string> {
        dict_rule_data data{avp(id), position, position == RULE_FIXED_HEAD ? 1u : 0u, min, max};
        if ((rc = fd_dict_new(dict, DICT_RULE, &data, parent, nullptr)) != 0)
            return failed("rule for", avp_info(id).name, rc);
        return std::nullopt;
    };
    struct RuleRow {
        AvpId id;
        enum rule_position position;
        int max;  // -1: no maximum
    };

    // TS 29.214 §5.6.1 AA-Request and §5.6.2 AA-Answer, the AVPs this client sends or checks.
    // Unlike RFC 7155's, neither has Auth-Request-Type and Result-Code is optional.
    struct dict_object* aa_answer = nullptr;
    {
        dict_cmd_data request{kCodeAa, name_arg("AA-Request", storage),
                              CMD_FLAG_REQUEST | CMD_FLAG_PROXIABLE | CMD_FLAG_ERROR,
                              CMD_FLAG_REQUEST | CMD_FLAG_PROXIABLE};
        if ((rc = fd_dict_new(dict, DICT_COMMAND, &request, rx_application, &aa_request)) != 0)
            return failed("command", "AA-Request", rc);
        dict_cmd_data answer{kCodeAa, name_arg("AA-Answer", storage), CMD_FLAG_REQUEST | CMD_FLAG_PROXIABLE,
                             CMD_FLAG_PROXIABLE};
        if ((rc = fd_dict_new(dict, DICT_COMMAND, &answer, rx_application, &aa_answer)) != 0)
            return failed("command", "AA-Answer", rc);
    }
    constexpr std::array<RuleRow, 15> kAaRequestRules = {{
        {AvpId::session_id, RULE_FIXED_HEAD, 1},
        {AvpId::auth_application_id, RULE_REQUIRED, 1},
        {AvpId::origin_host, RULE_REQUIRED, 1},
        {AvpId::origin_realm, RULE_REQUIRED, 1},
        {AvpId::destination_realm, RULE_REQUIRED, 1},
        {AvpId::destination_host, RULE_OPTIONAL, 1},
        {AvpId::af_application_identifier, RULE_OPTIONAL, 1},
        {AvpId::media_component_description, RULE_OPTIONAL, -1},
        {AvpId::specific_action, RULE_OPTIONAL, -1},
        {AvpId::framed_ip_address, RULE_OPTIONAL, 1},
        {AvpId::framed_ipv6_prefix, RULE_OPTIONAL, 1},
        {AvpId::rx_request_type, RULE_OPTIONAL, 1},
        {AvpId::origin_state_id, RULE_OPTIONAL, 1},
        {AvpId::msf_media_protection, RULE_OPTIONAL, -1},
        {AvpId::route_record, RULE_OPTIONAL, -1},
    }};
    constexpr std::array<RuleRow, 14> kAaAnswerRules = {{
        {AvpId::session_id, RULE_FIXED_HEAD, 1},
        {AvpId::auth_application_id, RULE_REQUIRED, 1},
        {AvpId::origin_host, RULE_REQUIRED, 1},
        {AvpId::origin_realm, RULE_REQUIRED, 1},
        {AvpId::result_code, RULE_OPTIONAL, 1},
        {AvpId::experimental_result, RULE_OPTIONAL, 1},
        {AvpId::auth_session_state, RULE_OPTIONAL, 1},
        {AvpId::error_message, RULE_OPTIONAL, 1},
        {AvpId::error_reporting_host, RULE_OPTIONAL, 1},
        {AvpId::failed_avp, RULE_OPTIONAL, -1},
        {AvpId::origin_state_id, RULE_OPTIONAL, 1},
        {AvpId::msf_media_protection, RULE_OPTIONAL, -1},
        {AvpId::msf_media_address, RULE_OPTIONAL, -1},
        {AvpId::route_record, RULE_OPTIONAL, -1},
    }};
    for (const RuleRow& r : kAaRequestRules)
        if (auto e = rule(aa_request, r.id, r.position, -1, r.max)) return e;
    for (const RuleRow& r : kAaAnswerRules)
        if (auto e = rule(aa_answer, r.id, r.position, -1, r.max)) return e;

    // TS 29.214 §5.3.10 Media-Component-Description and §5.3.29 Media-Sub-Component.
    if (auto e = rule(avp(AvpId::media_component_description), AvpId::media_component_number, RULE_REQUIRED, -1, 1))
        return e;
    if (auto e = rule(avp(AvpId::media_sub_component), AvpId::flow_number, RULE_REQUIRED, -1, 1)) return e;
    if (auto e = rule(avp(AvpId::media_sub_component), AvpId::flow_description, RULE_OPTIONAL, -1, 2)) return e;

    // The base commands Rx reuses. freeDiameter keeps one definition per command code, with
    // RFC 6733's ABNF; an Rx application's differs:
    //  - TS 29.214 §5.6.3 RAR has no Re-Auth-Request-Type (RFC 6733 §8.3.1 requires it) and
    //    requires Specific-Action; otherwise freeDiameter answers an Rx RAR 5005 by itself;
    //  - TS 29.214 §5.6.7 ASR requires Abort-Cause.
    storage.assign("Session-Termination-Request");
    if ((rc = fd_dict_search(dict, DICT_COMMAND, CMD_BY_NAME, storage.c_str(), &session_termination_request,
                             ENOENT)) != 0)
        return failed("command", storage, rc);
    storage.assign("Re-Auth-Request");
    if ((rc = fd_dict_search(dict, DICT_COMMAND, CMD_BY_NAME, storage.c_str(), &re_auth_request, ENOENT)) != 0)
        return failed("command", storage, rc);
    storage.assign("Abort-Session-Request");
    if ((rc = fd_dict_search(dict, DICT_COMMAND, CMD_BY_NAME, storage.c_str(), &abort_session_request, ENOENT)) != 0)
        return failed("command", storage, rc);
    {
        dict_rule_request which{re_auth_request, avp(AvpId::re_auth_request_type)};
        struct dict_object* base_rule = nullptr;
        if ((rc = fd_dict_search(dict, DICT_RULE, RULE_BY_AVP_AND_PARENT, &which, &base_rule, ENOENT)) != 0)
            return failed("base rule of", "Re-Auth-Request-Type", rc);
        if ((rc = fd_dict_delete(base_rule)) != 0)
            return failed("deleting the base rule of", "Re-Auth-Request-Type", rc);
        if (auto e = rule(re_auth_request, AvpId::re_auth_request_type, RULE_OPTIONAL, -1, 1)) return e;
        if (auto e = rule(re_auth_request, AvpId::specific_action, RULE_REQUIRED, -1, -1)) return e;
        if (auto e = rule(abort_session_request, AvpId::abort_cause, RULE_REQUIRED, -1, 1)) return e;
    }
    return std::nullopt;
}

}  // namespace msf::fdrx
