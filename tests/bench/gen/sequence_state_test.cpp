#include "bench/gen/sequence_state.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace msf::gen {
namespace {

std::string temp(const char* name) { return ::testing::TempDir() + "gen_seq_" + std::to_string(getpid()) + name; }

TEST(SequenceState, SavedStateComesBackForTheSameInstall) {
    const std::string path = temp("a");
    SequenceState s(0x1234, 3);
    s.to_ue(0) = 7;
    s.from_ue(2) = 0xfffffff0u;
    std::string error;
    ASSERT_TRUE(s.save(path, &error)) << error;
    SequenceState back = SequenceState::load(path, 0x1234, 3);
    EXPECT_EQ(back.to_ue(0), 7u);
    EXPECT_EQ(back.from_ue(0), 0u);
    EXPECT_EQ(back.from_ue(2), 0xfffffff0u);
    std::remove(path.c_str());
}

TEST(SequenceState, AnotherInstallMissingOrDamagedFileStartsFromZero) {
    const std::string path = temp("b");
    SequenceState s(0x1234, 2);
    s.to_ue(1) = 99;
    std::string error;
    ASSERT_TRUE(s.save(path, &error));
    EXPECT_EQ(SequenceState::load(path, 0x9999, 2).to_ue(1), 0u);  // other fingerprint
    EXPECT_EQ(SequenceState::load(path, 0x1234, 3).to_ue(1), 0u);  // other session count
    EXPECT_EQ(SequenceState::load(path, 0x1234, 1).to_ue(0), 0u);  // longer file than expected
    {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(0);
        f.write("X", 1);
    }
    EXPECT_EQ(SequenceState::load(path, 0x1234, 2).to_ue(1), 0u);  // bad magic
    ASSERT_EQ(::truncate(path.c_str(), 30), 0);
    EXPECT_EQ(SequenceState::load(path, 0x1234, 2).to_ue(1), 0u);  // short
    EXPECT_EQ(SequenceState::load(temp("missing"), 0x1234, 2).to_ue(1), 0u);
    std::remove(path.c_str());
}

TEST(SequenceState, UnwritablePathIsAnErrorNamingIt) {
    std::string error;
    EXPECT_FALSE(SequenceState(1, 1).save("/nonexistent/dir/calls.seq", &error));
    EXPECT_NE(error.find("/nonexistent/dir/calls.seq"), std::string::npos);
}

}  // namespace
}  // namespace msf::gen
