/* XML to JSON in the API document's shape, on real libvirt domain XML. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/testing.h"
#include "shared/core/json.h"
#include "shared/msg/xml2json.h"

#define XML_FILE_MAX (1024 * 1024)

static char *read_data(const char *name, size_t *ret_len)
{
    const char *dir = getenv("VMRELAY_SOURCE_DIR");
    char path[1024];
    char *buf = calloc(1, XML_FILE_MAX + 1);
    FILE *f;

    snprintf(path, sizeof(path), "%s/tests/unit/msg/data/%s", dir ? dir : ".", name);
    f = fopen(path, "re");
    if (!f || !buf)
        test_abort("cannot read %s", path);
    *ret_len = fread(buf, 1, XML_FILE_MAX, f);
    fclose(f);
    return buf;
}

static cJSON *convert_file(const char *name, char **ret_root)
{
    size_t len;
    _cleanup_free_ char *xml = read_data(name, &len);
    cJSON *json = NULL;
    char err[256] = "";

    if (!CHECK_INT(xml2json(xml, len, &json, ret_root, err, sizeof(err)), 0))
        fprintf(stderr, "  %s: %s\n", name, err);
    return json;
}

static const cJSON *item(const cJSON *root, const char *dotted)
{
    return json_path(root, dotted) ? json_path(root, dotted) : NULL;
}

/* The domain of `virsh -c test:///default dumpxml test`. */
static void test_test_driver_domain(void)
{
    _cleanup_free_ char *root_name = NULL;
    _cleanup_(cJSON_Deletep) cJSON *d = convert_file("test-domain.xml", &root_name);
    const cJSON *disks, *boot;

    if (!d)
        return;
    CHECK_STR(root_name, "domain");
    CHECK_STR(json_path_string(d, "type"), "test");        /* attribute, no prefix */
    CHECK_STR(json_path_string(d, "name.text"), "test");   /* text-only element */
    CHECK_STR(json_path_string(d, "memory.unit"), "KiB");  /* attribute and text */
    CHECK_STR(json_path_string(d, "memory.text"), "8388608");
    CHECK_STR(json_path_string(d, "os.type.arch"), "i686");
    CHECK_STR(json_path_string(d, "os.type.text"), "hvm");
    CHECK_STR(json_path_string(d, "clock.offset"), "utc");

    /* One disk and one boot device, still arrays as in the document. */
    disks = item(d, "devices");
    disks = cJSON_GetObjectItem(disks, "disk");
    CHECK(cJSON_IsArray(disks) && cJSON_GetArraySize(disks) == 1);
    CHECK_STR(json_path_string(cJSON_GetArrayItem(disks, 0), "source.file"), "/guest/diskimage1");
    CHECK_STR(json_path_string(cJSON_GetArrayItem(disks, 0), "target.dev"), "vda");
    boot = cJSON_GetObjectItem(item(d, "os"), "boot");
    CHECK(cJSON_IsArray(boot) && cJSON_GetArraySize(boot) == 1);
    CHECK(cJSON_IsArray(cJSON_GetObjectItem(item(d, "devices"), "interface")));
    /* memballoon is a single object in the document: it stays an object. */
    CHECK(cJSON_IsObject(item(d, "devices.memballoon")));
    CHECK_STR(json_path_string(d, "devices.memballoon.model"), "virtio");
}

static void test_kvm_domain(void)
{
    _cleanup_(cJSON_Deletep) cJSON *d = convert_file("kvm-domain.xml", NULL);
    const cJSON *controllers, *timers, *graphics, *boot;

    if (!d)
        return;
    CHECK_STR(json_path_string(d, "description.text"), "Made by vmrelay & friends");
    CHECK(cJSON_IsObject(item(d, "features.acpi")));
    CHECK_INT(cJSON_GetArraySize(item(d, "features.acpi")), 0); /* empty element is {} */
    CHECK_STR(json_path_string(d, "cpu.model.fallback"), "forbid");
    CHECK_STR(json_path_string(d, "cpu.model.text"), "Skylake-Client-IBRS");
    CHECK(cJSON_IsArray(item(d, "cpu.feature")));

    boot = item(d, "os.boot");
    CHECK(cJSON_IsArray(boot) && cJSON_GetArraySize(boot) == 2);
    CHECK_STR(json_path_string(cJSON_GetArrayItem(boot, 1), "dev"), "cdrom");
    timers = item(d, "clock.timer");
    CHECK(cJSON_IsArray(timers) && cJSON_GetArraySize(timers) == 3);
    controllers = item(d, "devices.controller");
    CHECK(cJSON_IsArray(controllers) && cJSON_GetArraySize(controllers) == 2);
    CHECK_STR(json_path_string(cJSON_GetArrayItem(controllers, 1), "model"), "pci-root");

    CHECK_STR(json_path_string(cJSON_GetArrayItem(item(d, "devices.disk"), 0),
                               "iotune.read_bytes_sec.text"), "1024000000");
    CHECK_STR(json_path_string(cJSON_GetArrayItem(item(d, "devices.interface"), 0),
                               "bandwidth.inbound.average"), "102400");

    /* graphics/listen: the child element wins over the attribute. */
    graphics = cJSON_GetArrayItem(item(d, "devices.graphics"), 0);
    CHECK(cJSON_IsObject(cJSON_GetObjectItem(graphics, "listen")));
    CHECK_STR(json_path_string(graphics, "listen.address"), "0.0.0.0");
    CHECK_STR(json_path_string(graphics, "port"), "5900");
    CHECK(cJSON_IsArray(item(d, "seclabel")));
    CHECK(cJSON_IsArray(item(d, "devices.video"))); /* an array in the document */
}

static void test_refusals(void)
{
    static const char dtd[] = "<!DOCTYPE d [<!ENTITY a \"aaaa\">]><d>&a;</d>";
    static const char ext[] = "<!DOCTYPE d [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><d>&x;</d>";
    cJSON *json = NULL;
    char err[256] = "";
    char deep[XML2JSON_MAX_DEPTH * 8 + 64] = "";
    size_t used = 0;

    CHECK_INT(xml2json("<a><b></a>", 10, &json, NULL, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "well-formed") != NULL);
    CHECK_INT(xml2json(dtd, strlen(dtd), &json, NULL, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "document type") != NULL);
    CHECK_INT(xml2json(ext, strlen(ext), &json, NULL, err, sizeof(err)), -EINVAL);
    CHECK_INT(xml2json("x", XML2JSON_MAX_BYTES + 1, &json, NULL, err, sizeof(err)), -EMSGSIZE);

    for (int i = 0; i < XML2JSON_MAX_DEPTH + 2; i++)
        used += (size_t)snprintf(deep + used, sizeof(deep) - used, "<e>");
    for (int i = 0; i < XML2JSON_MAX_DEPTH + 2; i++)
        used += (size_t)snprintf(deep + used, sizeof(deep) - used, "</e>");
    CHECK_INT(xml2json(deep, strlen(deep), &json, NULL, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "deeper") != NULL);
    CHECK(json == NULL);
}

static void test_volume_and_repeats(void)
{
    static const char vol[] =
        "<volume type='file'><name>datadisk0001</name><capacity unit='bytes'>10737418240"
        "</capacity><target><path>/var/lib/libvirt/pool0002/datadisk0001</path>"
        "<format type='qcow2'/><features><lazy_refcounts/></features></target></volume>";
    static const char rep[] = "<r><x a='1'/><x a='2'/><x a='3'/><text>child</text>t</r>";
    _cleanup_(cJSON_Deletep) cJSON *v = NULL;
    _cleanup_(cJSON_Deletep) cJSON *r = NULL;
    char err[256] = "";

    CHECK_INT(xml2json(vol, strlen(vol), &v, NULL, err, sizeof(err)), 0);
    CHECK_STR(json_path_string(v, "name.text"), "datadisk0001");
    CHECK_STR(json_path_string(v, "capacity.unit"), "bytes");
    CHECK_STR(json_path_string(v, "target.format.type"), "qcow2");
    CHECK(cJSON_IsObject(json_path(v, "target.features.lazy_refcounts")));

    /* An element that repeats becomes an array even when the document
     * does not list it; the element's own text wins over a child "text". */
    CHECK_INT(xml2json(rep, strlen(rep), &r, NULL, err, sizeof(err)), 0);
    CHECK(cJSON_IsArray(cJSON_GetObjectItem(r, "x")) &&
          cJSON_GetArraySize(cJSON_GetObjectItem(r, "x")) == 3);
    CHECK_STR(json_path_string(r, "text"), "t");
}

int main(void)
{
    test_test_driver_domain();
    test_kvm_domain();
    test_refusals();
    test_volume_and_repeats();
    return test_finish();
}
