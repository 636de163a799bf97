# The systemd units of systemd/ and the sd_notify protocol of the three
# daemons they run.
set(_dir ${CMAKE_CURRENT_LIST_DIR})
set(_env "VMRELAY_PEERS_DIR=${VMRELAY_PEERS_DIR}"
    "VMRELAY_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
    "VMRELAY_BINARY_DIR=${CMAKE_BINARY_DIR}")

# systemd-analyze verify and offline security rating of each unit, with
# ExecStart pointed at the program built here. No peers.
add_test(NAME smoke/systemd-units COMMAND python3 ${_dir}/verify_units.py)
set_tests_properties(smoke/systemd-units PROPERTIES
    LABELS smoke TIMEOUT 120 ENVIRONMENT "${_env}")

# Each daemon under the notify harness, as systemd runs it: READY=1,
# STATUS=, STOPPING=1 after SIGTERM, exit code 0; the worker also pings the
# watchdog (its unit sets WatchdogSec=). Private topic prefix, consumer group
# and namespace, so that they never touch what other tests run.
set(_brokers "{cat:{peers}/embedded-kafka/bootstrap}")
set(_kube "{peers}/apiserver/kubeconfig")
set(_private --set topic.prefix=notifyharness --set status.group=notifyharness-status)
add_test(NAME smoke/systemd-notify-bridge
    COMMAND python3 ${_dir}/notify-harness.py --
        $<TARGET_FILE:vmrelay-bridge> --brokers ${_brokers} --kubeconfig ${_kube}
        --namespace vmrelay-notify-harness ${_private})
add_test(NAME smoke/systemd-notify-status
    COMMAND python3 ${_dir}/notify-harness.py --
        $<TARGET_FILE:vmrelay-status> --brokers ${_brokers} --kubeconfig ${_kube}
        --namespace vmrelay-notify-harness ${_private})
add_test(NAME smoke/systemd-notify-worker
    COMMAND python3 ${_dir}/notify-harness.py --watchdog-usec 2000000 --ready-timeout 30 --
        $<TARGET_FILE:vmrelay-worker> --node notifyharness --brokers ${_brokers}
        --libvirt-uri test:///default ${_private}
        --set worker.journal={tmp}/journal.db --set worker.storage-dir={tmp}/storage)
set_tests_properties(smoke/systemd-notify-bridge smoke/systemd-notify-status PROPERTIES
    LABELS smoke TIMEOUT 180 ENVIRONMENT "${_env}"
    FIXTURES_REQUIRED "embedded_kafka;apiserver")
set_tests_properties(smoke/systemd-notify-worker PROPERTIES
    LABELS smoke TIMEOUT 180 ENVIRONMENT "${_env}"
    FIXTURES_REQUIRED embedded_kafka)
