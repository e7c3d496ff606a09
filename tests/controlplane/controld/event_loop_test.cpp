#include "controlplane/controld/event_loop.hpp"

#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace msf::controld {
namespace {

struct SocketPair {
    int fds[2] = {-1, -1};
    SocketPair() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0); }
    ~SocketPair() {
        for (int fd : fds)
            if (fd >= 0) close(fd);
    }
};

TEST(EventLoop, RunsTheCallbackOfAReadableSocket) {
    EventLoop loop;
    SocketPair pair;
    std::string got;
    ASSERT_TRUE(loop.add(pair.fds[0], EPOLLIN, [&](uint32_t) {
        char buf[16];
        ssize_t n = read(pair.fds[0], buf, sizeof buf);
        if (n > 0) got.append(buf, static_cast<size_t>(n));
    }));
    ASSERT_EQ(write(pair.fds[1], "abc", 3), 3);
    EXPECT_EQ(loop.run_once(1000), 1);
    EXPECT_EQ(got, "abc");
}

TEST(EventLoop, RefusesToRegisterAnFdTwice) {
    EventLoop loop;
    SocketPair pair;
    ASSERT_TRUE(loop.add(pair.fds[0], EPOLLIN, [](uint32_t) {}));
    EXPECT_FALSE(loop.add(pair.fds[0], EPOLLIN, [](uint32_t) {}));
    EXPECT_TRUE(loop.watching(pair.fds[0]));
    loop.remove(pair.fds[0]);
    EXPECT_FALSE(loop.watching(pair.fds[0]));
}

TEST(EventLoop, DropsPendingEventsOfARegistrationRemovedByAnEarlierCallback) {
    EventLoop loop;
    SocketPair a, b;
    int calls_b = 0;
    // Both ready in the same iteration; whichever runs first removes the other.
    ASSERT_TRUE(loop.add(a.fds[0], EPOLLIN, [&](uint32_t) {
        loop.remove(b.fds[0]);
        char c;
        (void)!read(a.fds[0], &c, 1);
    }));
    ASSERT_TRUE(loop.add(b.fds[0], EPOLLIN, [&](uint32_t) {
        ++calls_b;
        loop.remove(a.fds[0]);
        char c;
        (void)!read(b.fds[0], &c, 1);
    }));
    ASSERT_EQ(write(a.fds[1], "x", 1), 1);
    ASSERT_EQ(write(b.fds[1], "y", 1), 1);
    EXPECT_EQ(loop.run_once(1000), 1);  // exactly one ran; the other's event was dropped
    EXPECT_NE(loop.watching(a.fds[0]), loop.watching(b.fds[0]));
}

TEST(EventLoop, ACallbackMayRemoveItself) {
    EventLoop loop;
    SocketPair pair;
    int calls = 0;
    ASSERT_TRUE(loop.add(pair.fds[0], EPOLLIN, [&](uint32_t) {
        ++calls;
        loop.remove(pair.fds[0]);
    }));
    ASSERT_EQ(write(pair.fds[1], "x", 1), 1);
    loop.run_once(1000);
    loop.run_once(0);
    EXPECT_EQ(calls, 1);
}

TEST(EventLoop, TimersRunInDeadlineOrderAndCancelledOnesDoNot) {
    EventLoop loop;
    std::vector<int> order;
    loop.add_timer(30, [&] { order.push_back(3); });
    const auto cancelled = loop.add_timer(10, [&] { order.push_back(99); });
    loop.add_timer(20, [&] { order.push_back(2); });
    loop.add_timer(0, [&] { order.push_back(1); });
    loop.cancel_timer(cancelled);
    const int64_t deadline = EventLoop::now_ms() + 2000;
    while (order.size() < 3 && EventLoop::now_ms() < deadline) loop.run_once(-1);
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(EventLoop, WaitsNoLongerThanTheNextTimer) {
    EventLoop loop;
    bool fired = false;
    loop.add_timer(20, [&] { fired = true; });
    const int64_t start = EventLoop::now_ms();
    while (!fired && EventLoop::now_ms() - start < 2000) loop.run_once(-1);
    EXPECT_TRUE(fired);
    EXPECT_LT(EventLoop::now_ms() - start, 1000);
}

TEST(EventLoop, HooksRunAfterEveryIterationInOrder) {
    EventLoop loop;
    std::vector<int> order;
    loop.add_end_of_iteration_hook([&] { order.push_back(1); });
    loop.add_end_of_iteration_hook([&] { order.push_back(2); });
    loop.add_timer(0, [&] { order.push_back(0); });
    loop.run_once(100);
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2}));
}

TEST(EventLoop, StopEndsRun) {
    EventLoop loop;
    loop.add_timer(5, [&] { loop.stop(); });
    loop.run();
    EXPECT_TRUE(loop.stopping());
}

TEST(EventLoop, AReadableWakeSourceEndsTheWaitRunsNoCallbackAndIsNotLeftRegistered) {
    EventLoop loop;
    SocketPair pair;
    int hooks = 0;
    loop.add_end_of_iteration_hook([&] { ++hooks; });
    int wake_fd = pair.fds[0];
    loop.set_wake_source([&] { return wake_fd; });
    ASSERT_EQ(write(pair.fds[1], "x", 1), 1);
    const int64_t start = EventLoop::now_ms();
    EXPECT_EQ(loop.run_once(5000), 0);  // nothing registered ran
    EXPECT_LT(EventLoop::now_ms() - start, 2000);
    EXPECT_EQ(hooks, 1);
    // Watched during the wait only: its owner may register it (or close it and reuse the number).
    EXPECT_FALSE(loop.watching(pair.fds[0]));
    EXPECT_TRUE(loop.add(pair.fds[0], EPOLLIN, [](uint32_t) {}));
    loop.remove(pair.fds[0]);
    // Nothing readable, or no source (-1): the wait lasts its time.
    char byte;
    ASSERT_EQ(read(pair.fds[0], &byte, 1), 1);
    const int64_t quiet = EventLoop::now_ms();
    loop.run_once(60);
    EXPECT_GE(EventLoop::now_ms() - quiet, 50);
    wake_fd = -1;
    ASSERT_EQ(write(pair.fds[1], "y", 1), 1);
    const int64_t unwatched = EventLoop::now_ms();
    loop.run_once(60);
    EXPECT_GE(EventLoop::now_ms() - unwatched, 50);
    EXPECT_EQ(hooks, 3);
}

}  // namespace
}  // namespace msf::controld
