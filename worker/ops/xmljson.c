#include "shared/core/log.h"
#include "shared/msg/xml2json.h"
#include "worker/ops/xmljson.h"

int ops_xml_to_json(const char *xml, size_t len, cJSON **ret_json)
{
    char err[256] = "";
    int r = xml2json(xml, len, ret_json, NULL, err, sizeof(err));

    if (r < 0)
        log_debug("Cannot convert libvirt XML to JSON: %s", err);
    return r;
}
