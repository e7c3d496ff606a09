#include "controlplane/diameter/dictionary.hpp"

#include <array>

namespace msf::diameter {

namespace {

// ---- Checks on the tables, at compile time ----

constexpr bool avp_keys_unique() {
    for (size_t i = 0; i < kAvpCount; ++i)
        for (size_t j = i + 1; j < kAvpCount; ++j) {
            if (kAvps[i].code == kAvps[j].code && kAvps[i].vendor == kAvps[j].vendor) return false;
            if (kAvps[i].name == kAvps[j].name) return false;
        }
    return true;
}
static_assert(avp_keys_unique(), "two AVPs share a code and vendor, or a name");

// Value names belong to Enumerated AVPs and to Unsigned32 ids; a closed list needs values.
constexpr bool value_lists_fit_types() {
    for (const AvpDef& def : kAvps) {
        if (!def.values.empty() && def.type != DataType::enumerated &&
            def.type != DataType::unsigned32)
            return false;
        if (def.closed_values && def.values.empty()) return false;
    }
    return true;
}
static_assert(value_lists_fit_types());

constexpr bool group_rules_are_for_groups() {
    for (const GroupRules& g : kGroupRules) {
        if (kAvps[g.avp].type != DataType::grouped) return false;
        for (const GroupRules& h : kGroupRules)
            if (&g != &h && g.avp == h.avp) return false;
    }
    return true;
}
static_assert(group_rules_are_for_groups());

constexpr bool rules_well_formed(std::span<const AvpRule> rules) {
    if (rules.size() > kMaxRulesPerSet) return false;
    for (size_t i = 0; i < rules.size(); ++i) {
        if (rules[i].avp >= kAvpCount || rules[i].min > rules[i].max || rules[i].max == 0)
            return false;
        for (size_t j = i + 1; j < rules.size(); ++j)
            if (rules[i].avp == rules[j].avp) return false;
    }
    return true;
}
constexpr bool all_rules_well_formed() {
    for (const GroupRules& g : kGroupRules)
        if (!rules_well_formed(g.rules)) return false;
    for (const CommandDef& c : kCommands)
        if (!rules_well_formed(c.request_rules) || !rules_well_formed(c.answer_rules)) return false;
    if (!rules_well_formed(kProtocolErrorAnswerRules)) return false;
    for (size_t i = 0; i < std::size(kCommands); ++i)
        for (size_t j = i + 1; j < std::size(kCommands); ++j)
            if (kCommands[i].code == kCommands[j].code) return false;
    return true;
}
static_assert(all_rules_well_formed());

// ---- Lookup by (vendor, code): an open-addressing hash table built at compile time ----

constexpr size_t kHashBits = 9;
constexpr size_t kHashSlots = size_t{1} << kHashBits;  // under 30% full: short probes
static_assert(kAvpCount * 3 < kHashSlots);
constexpr uint16_t kEmptySlot = 0xffff;

constexpr uint64_t avp_key(Vendor vendor, uint32_t code) {
    return uint64_t{code} << 2 | static_cast<uint64_t>(vendor);
}
constexpr size_t slot_of(uint64_t key) {
    return static_cast<size_t>((key * 0x9e3779b97f4a7c15ull) >> (64 - kHashBits));
}

constexpr std::array<uint16_t, kHashSlots> avp_hash_table() {
    std::array<uint16_t, kHashSlots> slots{};
    slots.fill(kEmptySlot);
    for (size_t i = 0; i < kAvpCount; ++i) {
        size_t s = slot_of(avp_key(kAvps[i].vendor, kAvps[i].code));
        while (slots[s] != kEmptySlot) s = (s + 1) & (kHashSlots - 1);
        slots[s] = static_cast<uint16_t>(i);
    }
    return slots;
}
constexpr std::array<uint16_t, kHashSlots> kAvpHash = avp_hash_table();

constexpr std::array<std::span<const AvpRule>, kAvpCount> rules_by_avp() {
    std::array<std::span<const AvpRule>, kAvpCount> out{};
    for (const GroupRules& g : kGroupRules) out[g.avp] = g.rules;
    return out;
}
constexpr std::array<std::span<const AvpRule>, kAvpCount> kRulesByAvp = rules_by_avp();

constexpr std::string_view kDataTypeNames[] = {
    "OctetString",
    "Integer32",
    "Integer64",
    "Unsigned32",
    "Unsigned64",
    "Float32",
    "Float64",
    "Address",
    "Time",
    "UTF8String",
    "DiameterIdentity",
    "DiameterURI",
    "Enumerated",
    "IPFilterRule",
    "Grouped",
    "OctetString (IPv4 address)",
    "OctetString (IPv6 prefix)",
};
static_assert(std::size(kDataTypeNames) == static_cast<size_t>(DataType::ipv6_prefix) + 1);

}  // namespace

std::string_view data_type_name(DataType type) {
    const auto i = static_cast<size_t>(type);
    return i < std::size(kDataTypeNames) ? kDataTypeNames[i] : std::string_view("?");
}

const AvpDef* find_avp(uint32_t code, uint32_t vendor_id, uint32_t msf_vendor_id) {
    Vendor vendor;
    // The configured MSF vendor id is never one of the fixed ones (check_config refuses that).
    if (vendor_id == kVendorIetf)
        vendor = Vendor::ietf;
    else if (vendor_id == kVendor3gpp)
        vendor = Vendor::tgpp;
    else if (vendor_id == kVendorEtsi)
        vendor = Vendor::etsi;
    else if (vendor_id == msf_vendor_id)
        vendor = Vendor::msf;
    else
        return nullptr;
    for (size_t s = slot_of(avp_key(vendor, code));; s = (s + 1) & (kHashSlots - 1)) {
        const uint16_t index = kAvpHash[s];
        if (index == kEmptySlot) return nullptr;
        if (kAvps[index].code == code && kAvps[index].vendor == vendor) return &kAvps[index];
    }
}

std::span<const AvpRule> group_rules(const AvpDef& group) { return kRulesByAvp[avp_index(group)]; }

const CommandDef* find_command(uint32_t code) {
    for (const CommandDef& c : kCommands)
        if (c.code == code) return &c;
    return nullptr;
}

std::string_view result_code_name(uint32_t code, uint32_t vendor) {
    for (const ResultCodeInfo& r : kResultCodes)
        if (r.code == code && r.vendor == vendor) return r.name;
    return {};
}

std::string describe_avp(uint32_t code, uint32_t vendor_id, uint32_t msf_vendor_id) {
    std::string out;
    const AvpDef* def = find_avp(code, vendor_id, msf_vendor_id);
    if (def != nullptr) {
        out.append(def->name);
        out.append(" (");
    } else {
        out.append("AVP ");
    }
    out.append(std::to_string(code));
    if (vendor_id != kVendorIetf || def == nullptr) {
        out.push_back('/');
        out.append(std::to_string(vendor_id));
    }
    if (def != nullptr) out.push_back(')');
    return out;
}

}  // namespace msf::diameter
