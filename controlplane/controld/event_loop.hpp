// The single-threaded reactor msf-controld runs on: epoll for sockets, a timer queue, and
// end-of-iteration hooks. Everything of the daemon (Diameter peers, the session manager, the CLI
// socket, the dataplane link) lives on this one thread, so none of it needs a lock.
//
// Group commit: work that arrives in one iteration (many AARs read from many peers) is done by
// the callbacks; the end-of-iteration hooks then commit the store once and flush every queued
// answer, so one fsync-free SQLite transaction covers the whole batch.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

namespace msf::controld {

class EventLoop {
public:
    using IoCallback = std::function<void(uint32_t epoll_events)>;
    using TimerCallback = std::function<void()>;
    using TimerId = uint64_t;

    EventLoop();  // throws std::system_error if epoll cannot be created
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Watches fd for `events` (EPOLLIN, EPOLLOUT, ...). An fd is registered at most once. The
    // callback may add, modify or remove any registration, its own included: events still
    // pending for a removed registration are dropped, even if the fd number is reused at once.
    // False (errno set) if epoll refuses.
    bool add(int fd, uint32_t events, IoCallback callback);
    bool modify(int fd, uint32_t events);
    void remove(int fd);  // does not close fd
    bool watching(int fd) const { return by_fd_.count(fd) != 0; }

    // Runs callback once, delay_ms from now (0: in the next iteration).
    TimerId add_timer(int64_t delay_ms, TimerCallback callback);
    void cancel_timer(TimerId id);  // unknown or already-run ids are ignored

    // Called after every iteration's callbacks, in the order added.
    void add_end_of_iteration_hook(std::function<void()> hook);

    // Asked before every wait: an fd (>= 0) whose readability also ends the wait, or -1. For a
    // reply a hook left in flight and reads in a later hook (msf-controld's install batch on the
    // dataplane link), so no callback runs for it. It is watched only during the wait, so its
    // owner may close it, and the number be reused, at any other time.
    void set_wake_source(std::function<int()> fd);

    // One iteration: waits up to timeout_ms (-1: until something happens, capped by the next
    // timer), runs I/O callbacks, due timers, then the hooks. Returns the callbacks run.
    int run_once(int timeout_ms);
    // Iterates until stop().
    void run();
    void stop() { stopping_ = true; }
    bool stopping() const { return stopping_; }

    // CLOCK_MONOTONIC in milliseconds.
    static int64_t now_ms();

private:
    struct Registration {
        int fd;
        IoCallback callback;
    };
    int run_due_timers();

    int epoll_fd_ = -1;
    bool stopping_ = false;
    uint64_t next_token_ = 1;
    std::unordered_map<uint64_t, std::shared_ptr<Registration>> by_token_;
    std::unordered_map<int, uint64_t> by_fd_;
    TimerId next_timer_ = 1;
    std::multimap<int64_t, TimerId> deadlines_;
    std::unordered_map<TimerId, std::pair<int64_t, TimerCallback>> timers_;
    std::vector<std::function<void()>> hooks_;
    std::function<int()> wake_source_;
};

}  // namespace msf::controld
