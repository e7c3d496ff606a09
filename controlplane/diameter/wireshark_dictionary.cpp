#include "controlplane/diameter/wireshark_dictionary.hpp"

namespace msf::diameter {

namespace {

// Wireshark's type names (diameter/dictionary.xml typedefn).
std::string_view wireshark_type(DataType type) {
    switch (type) {
        case DataType::octet_string: return "OctetString";
        case DataType::integer32: return "Integer32";
        case DataType::integer64: return "Integer64";
        case DataType::unsigned32: return "Unsigned32";
        case DataType::unsigned64: return "Unsigned64";
        case DataType::float32: return "Float32";
        case DataType::float64: return "Float64";
        case DataType::address: return "IPAddress";
        case DataType::time: return "Time";
        case DataType::utf8_string: return "UTF8String";
        case DataType::diameter_identity: return "DiameterIdentity";
        case DataType::diameter_uri: return "DiameterURI";
        case DataType::enumerated: return "Enumerated";
        case DataType::ip_filter_rule: return "IPFilterRule";
        case DataType::grouped: return "Grouped";
        case DataType::ipv4_octets: return "IPAddress";
        case DataType::ipv6_prefix: return "OctetString";
    }
    return "OctetString";
}

std::string_view rule_name(FlagRule rule) {
    switch (rule) {
        case FlagRule::must: return "must";
        case FlagRule::may: return "may";
        case FlagRule::must_not: return "mustnot";
    }
    return "may";
}

}  // namespace

std::string wireshark_dictionary_xml(uint32_t msf_vendor_id) {
    const std::string vendor = std::to_string(msf_vendor_id);
    std::string out;
    out.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.append("<!-- MSF (Media Security Function) vendor AVPs, vendor id " + vendor +
               ".\n     Generated from controlplane/diameter/dictionary.hpp by "
               "msf-diameter-wireshark-dictionary: do not edit. -->\n");
    out.append("<vendor vendor-id=\"MSF\" code=\"" + vendor + "\" name=\"MSF\">\n");
    for (const AvpDef& def : kAvps) {
        if (def.vendor != Vendor::msf) continue;
        out.append("  <avp name=\"");
        out.append(def.name);
        out.append("\" code=\"" + std::to_string(def.code) + "\" vendor-id=\"MSF\" mandatory=\"");
        out.append(rule_name(def.mandatory));
        out.append("\" protected=\"mustnot\" may-encrypt=\"no\" vendor-bit=\"must\">\n");
        if (def.type == DataType::grouped) {
            out.append("    <grouped>\n");
            for (const AvpRule& rule : group_rules(def)) {
                out.append("      <gavp name=\"");
                out.append(kAvps[rule.avp].name);
                out.append("\"/>\n");
            }
            out.append("    </grouped>\n");
        } else {
            out.append("    <type type-name=\"");
            out.append(wireshark_type(def.type));
            out.append("\"/>\n");
        }
        for (const EnumValue& v : def.values) {
            out.append("    <enum name=\"");
            out.append(v.name);
            out.append("\" code=\"" + std::to_string(v.value) + "\"/>\n");
        }
        out.append("  </avp>\n");
    }
    out.append("</vendor>\n");
    return out;
}

}  // namespace msf::diameter
