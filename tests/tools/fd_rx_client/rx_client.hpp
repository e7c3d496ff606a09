// The freeDiameter side of msf-fd-rx-client: starts libfdcore with the generated configuration
// and the Rx dictionary, prints every message sent and received (message_report.hpp) and every
// event as JSON lines, answers the peer's RAR and ASR with 2001, and runs the script's actions.
//
// libfdcore is one global instance per process (its configuration, dictionary and threads), so
// a process holds one RxClient, started once. Its callbacks run on freeDiameter's threads; they
// print and count under one mutex, and the main thread waits on a condition variable.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/tools/fd_rx_client/client_args.hpp"
#include "tests/tools/fd_rx_client/rx_dictionary.hpp"

namespace msf::fdrx {

// stdout, one JSON object per line, whole lines only, flushed at once: a test reads them while
// the process runs.
class JsonLines {
public:
    void write(const std::string& line);

private:
    std::mutex mutex_;
};

class RxClient {
public:
    RxClient(const ClientOptions& options, JsonLines& out);

    // Initialises libfdcore with the configuration file, defines the dictionary, registers the
    // hooks and RAR/ASR handlers, advertises Rx and starts the core (which connects). Returns an
    // error line, or nullopt.
    std::optional<std::string> start(const std::string& config_path);

    // Until the peer's state is OPEN (CER/CEA done); false after the timeout.
    bool wait_open();

    // One action of the script; false when it did not complete (the reason is printed).
    bool run(const Action& action);

    // Shuts libfdcore down, which sends the DPR to the open peer. With expect_dpa, true only if
    // the peer's DPA arrived. Call once.
    bool shutdown(bool expect_dpa);

    // libfdcore callbacks (C linkage through these statics; regdata/opaque is the client).
    static void on_hook(enum fd_hook_type type, struct msg* msg, struct peer_hdr* peer, void* other,
                        struct fd_hook_permsgdata* pmd, void* regdata);
    static int on_request(struct msg** msg, struct avp* avp, struct session* session, void* opaque,
                          enum disp_action* action);
    static void on_answer(void* data, struct msg** answer);

private:
    // libfdcore's answer callback gets one pointer, the request's End-to-End Identifier; the
    // client is the process's one instance.
    static RxClient* instance_;

    // A request of ours, by End-to-End Identifier, until its answer reaches us or is dropped.
    struct Pending {
        bool answered = false;
        bool dropped = false;
    };

    bool send_and_wait(struct msg* request, std::string_view action);
    bool wait_for(std::string_view action, uint64_t timeout_ms, const std::function<bool()>& done);
    bool aar(const SessionSpec& spec, bool update);
    bool str(const std::string& session_id, uint32_t termination_cause, std::string_view action);
    void event(std::string_view name, std::string_view detail_key = {}, std::string_view detail = {});

    const ClientOptions& options_;
    JsonLines& out_;
    RxDictionary dict_;

    std::mutex mutex_;  // everything below, written by freeDiameter's threads
    std::condition_variable changed_;
    std::map<uint32_t, Pending> pending_;
    uint64_t dwa_exchanges_ = 0;  // DWAs received for our DWRs plus DWAs we sent
    uint64_t raa_sent_ = 0;
    uint64_t asa_sent_ = 0;
    uint64_t dpa_received_ = 0;
    std::deque<std::string> aborted_sessions_;  // Session-Ids of ASRs, oldest first

    // The main thread's own bookkeeping.
    std::vector<std::string> open_sessions_;  // newest last
    uint64_t dwa_waited_ = 0;
    uint64_t raa_waited_ = 0;
    uint64_t asa_waited_ = 0;
};

}  // namespace msf::fdrx
