/* vmrelay: the operator CLI. Dispatches to one subcommand per file. */
#include <stdio.h>
#include <string.h>

#include "producer/cli/cli.h"
#include "shared/core/log.h"

static void main_usage(FILE *f)
{
    fprintf(f, "Usage: " CLI_PROGRAM " COMMAND [OPTIONS]\n"
               "Commands:\n"
               "  submit   publish one lifecycle request to a node (and wait for its result)\n"
               "  fleet    show every node's latest heartbeat: live, draining or lost, capacity\n"
               "           and load\n"
               "  dlq      list the dead-letter topic, or replay one of its records\n"
               "  demo     run broker, API server, workers, bridge and status writer, and\n"
               "           drive sample VirtualMachines through their lifecycle\n"
               "Run '" CLI_PROGRAM " COMMAND --help' for the options of a command.\n");
}

int main(int argc, char **argv)
{
    log_setup(CLI_PROGRAM, LOG_WARNING);
    if (argc < 2) {
        main_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "submit") == 0)
        return cli_submit(argc - 1, argv + 1);
    if (strcmp(argv[1], "fleet") == 0)
        return cli_fleet(argc - 1, argv + 1);
    if (strcmp(argv[1], "dlq") == 0)
        return cli_dlq(argc - 1, argv + 1);
    if (strcmp(argv[1], "demo") == 0)
        return cli_demo(argc - 1, argv + 1);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        main_usage(stdout);
        return CLI_EXIT_OK;
    }
    fprintf(stderr, CLI_PROGRAM ": unknown command '%s'.\n", argv[1]);
    main_usage(stderr);
    return CLI_EXIT_USAGE;
}
