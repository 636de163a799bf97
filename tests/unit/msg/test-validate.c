/* The validator: each constraint accepts good values and refuses bad ones
 * with a sentence naming the field; unknown and missing fields are named. */
#include <stdio.h>
#include <string.h>

#include "lib/testing.h"
#include "shared/core/json.h"
#include "shared/msg/validate.h"

static const struct {
    const char *constraint, *value;
    bool ok;
    const char *want; /* part of the error when refused */
} value_cases[] = {
    {"name", "centos7vm0001", true, NULL},
    {"name", "short", false, "8 to 32 lowercase letters and digits"},
    {"name", "Centos7vm0001", false, "lowercase"},
    {"name", "abcdefghijklmnopqrstuvwxyz0123456", false, "8 to 32"},
    {"path", "/var/lib/libvirt/images/a.qcow2", true, NULL},
    {"path", "/var/lib/libvirt", false, "under one of: /var/lib/libvirt"},
    {"path", "/var/lib/libvirtx/a", false, "under one of"},
    {"path", "/etc/passwd", false, "under one of"},
    {"path", "var/lib/libvirt/a", false, "absolute"},
    {"path", "/var/lib/libvirt/../../etc/passwd", false, "normalised"},
    {"path", "/var/lib/libvirt//a", false, "normalised"},
    {"path", "/var/lib/libvirt/a/", false, "normalised"},
    {"path", "/var/lib/libvirt/a/.", false, "normalised"},
    {"path", "/var/lib/libvirt/a b", false, "only letters"},
    {"path", "/var/lib/libvirt/a,b", false, "only letters"},
    {"disk", "/var/lib/libvirt/images/a.qcow2", true, NULL},
    {"disk",
     "/var/lib/libvirt/images/test3.qcow2,read_bytes_sec=1024000000,write_bytes_sec=1024000000"
     " --disk /var/lib/libvirt/iso/c.iso,device=cdrom,perms=ro",
     true, NULL},
    {"disk", "/var/lib/libvirt/images/a.qcow2 --disk /opt/ISO/c.iso,device=cdrom", false,
     "under one of"},
    {"disk", "/var/lib/libvirt/a.qcow2,backing_store=/etc/shadow", false, "under one of"},
    {"disk", "/var/lib/libvirt/a.qcow2,evil=1", false, "disk 1: \"evil\" is not a known option"},
    {"disk", "/var/lib/libvirt/a.qcow2,device=tape", false, "device must be"},
    {"disk", "/var/lib/libvirt/a.qcow2 --disk", false, "no value after it"},
    {"disk", "/var/lib/libvirt/a.qcow2 /var/lib/libvirt/b.qcow2", false, "where \"--disk\""},
    {"disk", "device=cdrom", false, "must start with a path"},
    {"disk", "/var/lib/libvirt/a.qcow2,read_iops_sec=fast", false, "non-negative integer"},
    {"vcpus", "2", true, NULL},
    {"vcpus", "2,cpuset=1-4", true, NULL},
    {"vcpus", "2,maxvcpus=8,cpuset=1-3,6,^2", true, NULL},
    {"vcpus", "0", false, "number of vCPUs from 1"},
    {"vcpus", "two", false, "number of vCPUs"},
    {"vcpus", "2,cpuset=4-1", false, "cpuset"},
    {"vcpus", "4,maxvcpus=2", false, "maxvcpus"},
    {"vcpus", "2,pin=1", false, "\"pin\" is not a known option"},
    {"vcpu_count", "16", true, NULL},
    {"vcpu_count", "0", false, "from 1 to 4096"},
    {"graphics", "vnc,listen=0.0.0.0,password=abcdefg", true, NULL},
    {"graphics", "spice,listen=::1", true, NULL},
    {"graphics", "rdp,listen=0.0.0.0", false, "must start with vnc, spice or none"},
    {"graphics", "vnc,listen=0.0.0.0,password=", false, "has no value"},
    {"graphics", "vnc,listen=bad_host!", false, "listen must be"},
    {"graphics", "vnc,port=70000", false, "port"},
    {"network", "type=l3bridge,source=br-int,inbound=102400,outbound=102400,ip=192.168.5.9,"
                "switch=switch",
     true, NULL},
    {"network", "type=bridge,source=virbr0,mac=7e:0c:b0:ef:6a:04,model=virtio", true, NULL},
    {"network", "type=vlan,source=br-int", false, "type=bridge, l2bridge or l3bridge"},
    {"network", "type=bridge", false, "needs source=BRIDGE"},
    {"network", "type=bridge,source=br-int,ip=999.1.1.1", false, "IPv4"},
    {"network", "type=bridge,source=br-int,inbound=lots", false, "non-negative integer"},
    {"network", "type=bridge,source=br-int,mtu=9000", false, "\"mtu\" is not a known option"},
    {"nic_source", "source=br-int,ip=192.168.5.2,switch=switch", true, NULL},
    {"nic_source", "br-int", false, "only key=value"},
    {"nic_type", "l2bridge", true, NULL},
    {"nic_type", "true", false, "bridge, l2bridge or l3bridge"},
    {"subnet", "192.168.5.1/24", true, NULL},
    {"subnet", "192.168.5.1/33", false, "A.B.C.D/N"},
    {"subnet", "192.168.5/24", false, "A.B.C.D/N"},
    {"subnet", "192.168.5.1", false, "subnet like"},
    {"mac", "7e:0c:b0:ef:6a:04", true, NULL},
    {"mac", "7e-0c-b0-ef-6a-04", false, "six hex pairs"},
    {"memory_mib", "2048", true, NULL},
    {"memory_mib", "abc", false, "positive integer number of MiB"},
    {"memory_mib", "0", false, "positive integer number of MiB"},
    {"memory_mib", "-5", false, "positive integer"},
    {"size_kib", "1048576", true, NULL},
    {"size_kib", "1GiB", false, "number of KiB"},
    {"bytes", "10737418240", true, NULL},
    {"bytes", "10G", false, "number of bytes"},
    {"uint", "0", true, NULL},
    {"uint", "1.5", false, "non-negative integer"},
    {"uri", "qemu+ssh://node23/system", true, NULL},
    {"uri", "node23", false, "libvirt URI"},
    {"uri", "qemu+ssh://node23/system bad", false, "libvirt URI"},
    {"word", "centos7.0", true, NULL},
    {"word", "centos 7", false, "letters, digits"},
    {"metadata", "uuid=950646e8-c17a-49d0-b83c-1c797811e001", true, NULL},
    {"metadata", "uuid=nope", false, "uuid must be a UUID"},
    {"metadata", "plain", false, "only key=value"},
    {"virt_type", "kvm", true, NULL},
    {"virt_type", "vmware", false, "kvm, qemu"},
    {"disk_bus", "virtio", true, NULL},
    {"disk_bus", "nvme2", false, "virtio, scsi"},
    {"disk_format", "qcow2", true, NULL},
    {"disk_format", "qcow3", false, "qcow2, raw"},
    {"disk_mode", "shareable", true, NULL},
    {"disk_mode", "rw", false, "shareable or readonly"},
    {"disk_target", "vdc", true, NULL},
    {"disk_target", "xvdaa", true, NULL},
    {"disk_target", "vd1", false, "device name"},
    {"pool_type", "dir", true, NULL},
    {"pool_type", "tmpfs", false, "dir, fs"},
    {"true", "true", true, NULL},
};

static void test_values(void)
{
    for (size_t i = 0; i < ELEMENTSOF(value_cases); i++) {
        char err[512] = "";
        int r = validate_value(value_cases[i].constraint, "f", value_cases[i].value, NULL, err,
                               sizeof(err));

        if (value_cases[i].ok) {
            if (!CHECK_INT(r, 0))
                fprintf(stderr, "  %s \"%s\": %s\n", value_cases[i].constraint,
                        value_cases[i].value, err);
            continue;
        }
        CHECK_INT(r, -EINVAL);
        if (!CHECK(strncmp(err, "field \"f\": ", 11) == 0) ||
            !CHECK(strstr(err, value_cases[i].want) != NULL))
            fprintf(stderr, "  %s \"%s\": %s\n", value_cases[i].constraint,
                    value_cases[i].value, err);
    }
    CHECK_INT(validate_value("nonsense", "f", "x", NULL, NULL, 0), -ENOENT);
}

static void test_allowed_roots(void)
{
    static const char *const roots[] = {"/var/lib/libvirt", "/opt/ISO", NULL};
    struct validate_opts opts = {.allowed_roots = roots};
    char err[512] = "";

    CHECK_INT(validate_value("disk",
                             "f", "/var/lib/libvirt/a.qcow2 --disk /opt/ISO/CentOS-7.iso,"
                             "device=cdrom,perms=ro", &opts, err, sizeof(err)), 0);
    CHECK_INT(validate_value("path", "f", "/opt/other/x.iso", &opts, err, sizeof(err)),
              -EINVAL);
    CHECK(strstr(err, "/var/lib/libvirt, /opt/ISO") != NULL);
}

/* Parses params, validates, and checks the outcome and error text. */
static void expect(const char *kind, const char *name, const char *op, const char *params_json,
                   int want_r, const char *want)
{
    _cleanup_(cJSON_Deletep) cJSON *params = cJSON_Parse(params_json);
    char err[512] = "";
    int r;

    CHECK(params != NULL);
    r = validate_request(catalog_get(), kind, name, op, params, NULL, err, sizeof(err));
    if (!CHECK_INT(r, want_r) || (want && !CHECK(strstr(err, want) != NULL)))
        fprintf(stderr, "  %s %s: %s\n", op, params_json, err);
}

static void test_requests(void)
{
    const char *vm = "VirtualMachine";

    CHECK(catalog_get() != NULL);
    expect(vm, "centos7vm0001", "resizeRAM", "{\"size\":\"1048576\",\"config\":true,\"live\":true}",
           0, NULL);
    /* The client writes numbers where the document says String, and back. */
    expect(vm, "centos7vm0001", "resizeRAM", "{\"size\":1048576}", 0, NULL);
    expect(vm, "centos7vm0001", "changeNumberOfCPU", "{\"count\":4,\"config\":true}", 0, NULL);
    expect(vm, "centos7vm0001", "changeNumberOfCPU", "{\"count\":\"4\"}", 0, NULL);
    expect(vm, "centos7vm0001", "stopVM", "{}", 0, NULL);

    expect(vm, "centos7vm0001", "resizeRAM", "{\"size\":\"abc\"}", -EINVAL,
           "field \"size\": must be a positive integer number of KiB, got \"abc\"");
    expect(vm, "centos7vm0001", "resizeRAM", "{\"size\":-1}", -EINVAL,
           "field \"size\": expected a string or a whole number");
    expect(vm, "centos7vm0001", "resizeRAM", "{\"live\":true}", -EINVAL,
           "field \"size\": is required by resizeRAM");
    expect(vm, "centos7vm0001", "resizeRAM", "{\"size\":\"1\",\"sizee\":1}", -EINVAL,
           "field \"sizee\": is not a parameter of resizeRAM (it takes: current, size");
    expect(vm, "centos7vm0001", "resizeRAM", "{\"size\":\"1\",\"live\":\"yes\"}", -EINVAL,
           "field \"live\": expected true or false");
    expect(vm, "centos7vm0001", "stopVM", "{\"force\":true}", -EINVAL,
           "field \"force\": is not a parameter of stopVM, which takes none");
    expect(vm, "centos7vm0001", "changeNumberOfCPU", "{\"count\":2.5}", -EINVAL,
           "field \"count\"");
    expect(vm, "bad", "stopVM", "{}", -EINVAL, "field \"name\": must be 8 to 32");
    expect(vm, "centos7vm0001", "explodeVM", "{}", -EINVAL,
           "field \"operation\": is not an operation of VirtualMachine");
    expect("Pod", "centos7vm0001", "stopVM", "{}", -EINVAL, "field \"kind\"");
    expect(vm, "centos7vm0001", "manageISO",
           "{\"path\":\"/var/lib/libvirt/iso/a.iso\",\"insert\":true,\"eject\":true}", -EINVAL,
           "field \"insert\": cannot be true together with \"eject\"");
    expect(vm, "centos7vm0001", "plugDisk",
           "{\"source\":\"/var/lib/libvirt/images/data0001.qcow2\",\"target\":\"vdc\","
           "\"subdriver\":\"qcow2\",\"live\":true,\"config\":true,\"read_iops_sec\":\"40000\","
           "\"write_iops_sec\":\"40000\"}", 0, NULL);
    expect(vm, "centos7vm0001", "plugNIC",
           "{\"type\":\"bridge\",\"source\":\"source=br-int,ip=192.168.5.2,switch=switch\","
           "\"mac\":\"7e:0c:b0:ef:6a:04\",\"inbound\":\"1024000\",\"outbound\":\"1024000\","
           "\"live\":true,\"config\":true}", 0, NULL);
    expect(vm, "centos7vm0001", "migrateVM",
           "{\"desturi\":\"qemu+ssh://node23/system\",\"live\":true,\"persistent\":true,"
           "\"undefinesource\":true}", 0, NULL);
    expect(vm, "centos7vm0001", "deleteVM", "{\"delete_snapshots\":true}", 0, NULL);
    expect(vm, "centos7vm0001", "createAndStartVMFromISO",
           "{\"graphics\":\"vnc,listen=0.0.0.0\",\"disk\":\"/var/lib/libvirt/a.qcow2\","
           "\"memory\":\"2048\",\"network\":\"type=bridge,source=br0\",\"os_variant\":\"c7\","
           "\"vcpus\":\"2\",\"noautoconsole\":false}", -EINVAL,
           "field \"noautoconsole\": must be true");
    expect("VirtualMachineDisk", "datadisk0001", "createDisk",
           "{\"pool\":\"pool0002\",\"capacity\":\"10737418240\",\"format\":\"qcow2\"}", 0, NULL);
    expect("VirtualMachineDisk", "datadisk0001", "createDisk",
           "{\"pool\":\"p2\",\"capacity\":\"10737418240\",\"format\":\"qcow2\"}", -EINVAL,
           "field \"pool\": must be 8 to 32");
    expect("VirtualMachineSnapshot", "snapshot0001", "createSnapshot",
           "{\"domain\":\"centos7vm0001\"}", 0, NULL);
    expect("VirtualMachinePool", "pool0002", "createPool",
           "{\"type\":\"dir\",\"target\":\"/var/lib/libvirt/pool0002\"}", 0, NULL);
    expect("VirtualMachinePool", "pool0002", "createPool",
           "{\"type\":\"dir\",\"target\":\"/tmp/pool0002\"}", -EINVAL,
           "field \"target\": a path must lie under one of: /var/lib/libvirt");
    expect("VirtualMachineNetwork", "switch0001", "createSwitch", "{\"subnet\":\"192.168.5.1/24\"}",
           0, NULL);
}

static void test_name_bounds(void)
{
    struct validate_opts opts = {.name_min = 1, .name_max = 63};
    char err[256] = "";

    CHECK_INT(validate_name("name", "test", &opts, err, sizeof(err)), 0);
    CHECK_INT(validate_name("name", "test", NULL, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "field \"name\"") != NULL);
}

int main(void)
{
    test_values();
    test_allowed_roots();
    test_requests();
    test_name_bounds();
    return test_finish();
}
