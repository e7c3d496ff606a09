#include "controlplane/controld/event_loop.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <ctime>
#include <system_error>

namespace msf::controld {

EventLoop::EventLoop() {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
}

EventLoop::~EventLoop() {
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

int64_t EventLoop::now_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

bool EventLoop::add(int fd, uint32_t events, IoCallback callback) {
    if (by_fd_.count(fd) != 0) {
        errno = EEXIST;
        return false;
    }
    const uint64_t token = next_token_++;
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = token;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) return false;
    by_token_.emplace(token, std::make_shared<Registration>(Registration{fd, std::move(callback)}));
    by_fd_.emplace(fd, token);
    return true;
}

bool EventLoop::modify(int fd, uint32_t events) {
    auto it = by_fd_.find(fd);
    if (it == by_fd_.end()) {
        errno = ENOENT;
        return false;
    }
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = it->second;
    return epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void EventLoop::remove(int fd) {
    auto it = by_fd_.find(fd);
    if (it == by_fd_.end()) return;
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    by_token_.erase(it->second);
    by_fd_.erase(it);
}

EventLoop::TimerId EventLoop::add_timer(int64_t delay_ms, TimerCallback callback) {
    const TimerId id = next_timer_++;
    const int64_t deadline = now_ms() + (delay_ms < 0 ? 0 : delay_ms);
    deadlines_.emplace(deadline, id);
    timers_.emplace(id, std::make_pair(deadline, std::move(callback)));
    return id;
}

void EventLoop::cancel_timer(TimerId id) {
    auto it = timers_.find(id);
    if (it == timers_.end()) return;
    auto [first, last] = deadlines_.equal_range(it->second.first);
    for (auto d = first; d != last; ++d) {
        if (d->second == id) {
            deadlines_.erase(d);
            break;
        }
    }
    timers_.erase(it);
}

void EventLoop::add_end_of_iteration_hook(std::function<void()> hook) {
    hooks_.push_back(std::move(hook));
}

void EventLoop::set_wake_source(std::function<int()> fd) { wake_source_ = std::move(fd); }

int EventLoop::run_due_timers() {
    int ran = 0;
    const int64_t now = now_ms();
    // Only timers due now: a timer added by a callback runs in a later iteration.
    std::vector<TimerId> due;
    for (auto it = deadlines_.begin(); it != deadlines_.end() && it->first <= now;) {
        due.push_back(it->second);
        it = deadlines_.erase(it);
    }
    for (TimerId id : due) {
        auto it = timers_.find(id);
        if (it == timers_.end()) continue;  // cancelled by an earlier timer of this batch
        TimerCallback callback = std::move(it->second.second);
        timers_.erase(it);
        callback();
        ++ran;
    }
    return ran;
}

int EventLoop::run_once(int timeout_ms) {
    if (!deadlines_.empty()) {
        const int64_t until_timer = deadlines_.begin()->first - now_ms();
        const int timer_wait = until_timer <= 0 ? 0 : static_cast<int>(until_timer);
        if (timeout_ms < 0 || timer_wait < timeout_ms) timeout_ms = timer_wait;
    }
    // The wake source is in the epoll set for this wait only, under token 0, which names no
    // registration: it ends the wait and runs nothing.
    const int wake_fd = wake_source_ ? wake_source_() : -1;
    bool waking = false;
    if (wake_fd >= 0 && by_fd_.count(wake_fd) == 0) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = 0;
        waking = epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd, &ev) == 0;
    }
    std::array<epoll_event, 128> events{};
    const int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms);
    if (waking) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, wake_fd, nullptr);
    int ran = 0;
    for (int i = 0; i < n; ++i) {
        // epoll_event is packed on x86-64: copy the token out rather than bind a misaligned
        // reference to it.
        const uint64_t token = events[i].data.u64;
        auto it = by_token_.find(token);
        if (it == by_token_.end()) continue;  // removed by an earlier callback of this batch
        // Keep the registration alive while its callback runs: it may remove itself.
        std::shared_ptr<Registration> registration = it->second;
        const uint32_t ready = events[i].events;
        registration->callback(ready);
        ++ran;
    }
    ran += run_due_timers();
    for (auto& hook : hooks_) hook();
    return ran;
}

void EventLoop::run() {
    while (!stopping_) run_once(-1);
}

}  // namespace msf::controld
