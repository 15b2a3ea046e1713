/* osprey: command line -> machine configuration -> machine -> run -> exit status. */
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "core/common.h"
#include "core/log.h"
#include "core/machine.h"
#include "core/options.h"

/* The one machine, reachable from the termination-signal handler only. */
static Machine *signal_machine;

static void termination_signal(int sig)
{
    static const char msg[] = "osprey: terminating on signal\n";
    if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
        /* nothing more can be done from a signal handler */
    }
    if (signal_machine) {
        machine_request_shutdown(signal_machine, SHUTDOWN_CAUSE_HOST_SIGNAL);
    }
}

static void install_signal_handlers(Machine *m)
{
    signal_machine = m;
    struct sigaction sa = {.sa_handler = termination_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static bool write_pidfile(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        error_report("-pidfile: cannot create '%s': %s", path, strerror(errno));
        return false;
    }
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
    return true;
}

int main(int argc, char **argv)
{
    bool exit_now;
    int status;
    MachineConfig *cfg = options_parse(argc, argv, &exit_now, &status);
    if (exit_now) {
        return status;
    }
    if (cfg->pidfile && !write_pidfile(cfg->pidfile)) {
        machine_config_free(cfg);
        return 1;
    }
    Error *err = NULL;
    Machine *m = machine_create(cfg, &err);
    if (!m) {
        error_report_err(err);
        status = 1;
    } else {
        install_signal_handlers(m);
        status = machine_run(m);
        signal_machine = NULL;
        machine_free(m);
    }
    if (cfg->pidfile) {
        unlink(cfg->pidfile);
    }
    log_flush();
    machine_config_free(cfg);
    return status;
}
