/* libvirt XML to the JSON shape of the API document, through the shared
 * converter (shared/msg/xml2json.h). The worker calls only this function,
 * so that a change of converter is one place.
 *
 * Thread safety: any thread. */
#pragma once

#include <stddef.h>

#include <cjson/cJSON.h>

/* Converts the root element's content (not wrapped in its own name).
 * Returns -EINVAL for malformed XML, -EMSGSIZE when too big, -ENOMEM. */
int ops_xml_to_json(const char *xml, size_t len, cJSON **ret_json);
