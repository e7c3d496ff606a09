#include "bench/gen/pcap_writer.hpp"

#include <cerrno>
#include <cstring>

namespace msf::gen {

namespace {

// https://wiki.wireshark.org/Development/LibpcapFileFormat: fields in the writer's byte order,
// which the magic number tells readers.
struct GlobalHeader {
    uint32_t magic = 0xa1b2c3d4;  // microsecond timestamps
    uint16_t version_major = 2;
    uint16_t version_minor = 4;
    int32_t thiszone = 0;
    uint32_t sigfigs = 0;
    uint32_t snaplen = 65535;
    uint32_t network = 1;  // LINKTYPE_ETHERNET
};

struct RecordHeader {
    uint32_t ts_sec;
    uint32_t ts_usec;
    uint32_t incl_len;
    uint32_t orig_len;
};

}  // namespace

bool PcapWriter::open(const std::string& path, std::string* error) {
    file_ = std::fopen(path.c_str(), "wb");
    if (file_ == nullptr) {
        *error = path + ": " + std::strerror(errno);
        return false;
    }
    const GlobalHeader header;
    if (std::fwrite(&header, sizeof header, 1, file_) != 1) {
        *error = path + ": " + std::strerror(errno);
        return false;
    }
    return true;
}

PcapWriter::~PcapWriter() {
    if (file_ != nullptr) std::fclose(file_);
}

bool PcapWriter::write(std::span<const uint8_t> frame, uint64_t time_us) {
    if (file_ == nullptr || !ok_) return false;
    const RecordHeader record{static_cast<uint32_t>(time_us / 1'000'000), static_cast<uint32_t>(time_us % 1'000'000),
                              static_cast<uint32_t>(frame.size()), static_cast<uint32_t>(frame.size())};
    ok_ = std::fwrite(&record, sizeof record, 1, file_) == 1 && std::fwrite(frame.data(), 1, frame.size(), file_) == frame.size();
    return ok_;
}

bool PcapWriter::close() {
    if (file_ == nullptr) return ok_;
    const bool closed = std::fclose(file_) == 0;
    file_ = nullptr;
    return ok_ && closed;
}

}  // namespace msf::gen
