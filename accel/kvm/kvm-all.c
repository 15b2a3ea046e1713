/*
 * The "kvm" accelerator: the same pc machine, devices and firmware as the
 * DBT, with guest code run by Linux KVM.
 *
 *  - One host thread per vCPU.  A vCPU thread runs KVM_RUN without the big
 *    device lock and takes it to handle an exit, so device code stays
 *    single-threaded.  A kick is run->immediate_exit plus a signal.
 *  - Memory slots follow the flat view of m->as_memory (a listener): RAM and
 *    ROM ranges become slots (ROM and read-only RAM as read-only slots);
 *    everything else exits as MMIO.
 *  - KVM_EXIT_IO and KVM_EXIT_MMIO go to address_space_ld/st on m->as_io and
 *    m->as_memory, the functions the DBT's slow path calls.
 *  - The in-kernel irqchip (PIC, IOAPIC, local APICs): the board's PIC and
 *    IOAPIC input lines are taken over and forwarded with KVM_IRQ_LINE through
 *    a GSI routing table that mirrors the board's wiring.  Our PIT and HPET
 *    keep running on the virtual clock.  docs/kvm.md says why.
 *
 * Reference: the Linux kernel's Documentation/virt/kvm/api.rst.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "accel/kvm/kvm-internal.h"
#include "core/log.h"
#include "core/options.h"

/* The signal that knocks a vCPU thread out of KVM_RUN. */
#define KVM_KICK_SIGNAL SIGUSR1
/* Memory slots we use at most (KVM offers thousands; a PC map needs a few dozen). */
#define KVM_MAX_SLOTS 256

int kvm_vm_ioctl(KVMState *s, unsigned long req, void *arg)
{
    int r;
    do {
        r = ioctl(s->vm_fd, req, arg);
    } while (r < 0 && errno == EINTR);
    return r;
}

int kvm_vcpu_ioctl(KVMVCPU *v, unsigned long req, void *arg)
{
    int r;
    do {
        r = ioctl(v->fd, req, arg);
    } while (r < 0 && errno == EINTR);
    return r;
}

static const char *kvm_device_path(void)
{
    const char *p = getenv("OSPREY_KVM_DEVICE");
    return p && *p ? p : KVM_DEFAULT_DEVICE;
}

/* Open the KVM device and check the API version; on failure say why. */
static int kvm_open_device(char **why)
{
    const char *path = kvm_device_path();
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        *why = xasprintf("cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    int version = ioctl(fd, KVM_GET_API_VERSION, 0);
    if (version != KVM_API_VERSION) {
        *why = xasprintf("%s has KVM API version %d, Osprey needs %d", path, version,
                         KVM_API_VERSION);
        close(fd);
        return -1;
    }
    return fd;
}

static bool kvm_available(char **why)
{
    int fd = kvm_open_device(why);
    if (fd < 0) {
        return false;
    }
    close(fd);
    return true;
}

/*
 * The automatic choice wants hardware virtualization behind /dev/kvm: some
 * hosts expose /dev/kvm and emulate every guest instruction in the host
 * kernel instead, correct but far too slow for a real guest.
 */
static bool kvm_preferred(char **why)
{
    const char *cpuinfo = getenv("OSPREY_KVM_CPUINFO");
    FILE *f = fopen(cpuinfo && *cpuinfo ? cpuinfo : "/proc/cpuinfo", "r");
    char line[4096];
    bool vmx = false, svm = false;

    if (!f) {
        *why = xstrdup("cannot read /proc/cpuinfo to look for vmx/svm");
        return false;
    }
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "flags", 5)) {
            continue;
        }
        vmx |= strstr(line, " vmx") != NULL;
        svm |= strstr(line, " svm") != NULL;
    }
    fclose(f);
    if (vmx || svm) {
        *why = xasprintf("host has hardware virtualization (%s)", vmx ? "vmx" : "svm");
        return true;
    }
    *why = xasprintf("%s opens but the host CPU reports neither vmx nor svm (KVM would "
                     "emulate every instruction; -accel kvm forces it)", kvm_device_path());
    return false;
}

/* ---- the big device lock and vCPU parking ---- */

static void kvm_bql_unlock(void *opaque)
{
    KVMState *s = opaque;
    pthread_mutex_unlock(&s->bql);
}

static void kvm_bql_lock(void *opaque)
{
    KVMState *s = opaque;
    pthread_mutex_lock(&s->bql);
}

static void kvm_kick_signal_handler(int sig)
{
    (void)sig; /* interrupting KVM_RUN is the whole point */
}

static void kvm_kick_vcpu(KVMVCPU *v)
{
    if (v->run) {
        __atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    }
    if (v->thread_started) {
        pthread_kill(v->thread, KVM_KICK_SIGNAL);
    }
}

static void kvm_kick(Machine *m)
{
    KVMState *s = m->accel_state;
    if (s) {
        for (int i = 0; i < s->nr_vcpus; i++) {
            kvm_kick_vcpu(&s->vcpus[i]);
        }
    }
}

static bool kvm_vcpu_should_run(KVMVCPU *v)
{
    KVMState *s = v->s;
    Machine *m = s->m;
    return !s->quit && !v->failed && s->pause_depth == 0 && m->runstate == RUN_STATE_RUNNING &&
           !m->quit_requested && !m->reset_request && !m->shutdown_request;
}

/* With the lock held: stop every vCPU thread outside KVM_RUN (nesting allowed). */
static void kvm_pause_all(KVMState *s)
{
    s->pause_depth++;
    if (!s->threads_started) {
        return;
    }
    for (int i = 0; i < s->nr_vcpus; i++) {
        kvm_kick_vcpu(&s->vcpus[i]);
    }
    while (s->nr_parked < s->nr_vcpus) {
        pthread_cond_wait(&s->parked_cond, &s->bql);
    }
}

static void kvm_resume_all(KVMState *s)
{
    if (--s->pause_depth == 0) {
        pthread_cond_broadcast(&s->run_cond);
    }
}

/* ---- exits ---- */

static void kvm_handle_io(KVMVCPU *v)
{
    struct kvm_run *run = v->run;
    Machine *m = v->s->m;
    unsigned size = run->io.size;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;

    /* The kernel fills these, but the buffer lives in the shared run page: stay inside it. */
    if ((size != 1 && size != 2 && size != 4) ||
        run->io.data_offset + (uint64_t)size * run->io.count > v->run_size) {
        error_report("kvm: bad I/O exit (port %#x size %u count %u)", run->io.port, size,
                     run->io.count);
        return;
    }
    for (uint32_t i = 0; i < run->io.count; i++, data += size) {
        if (run->io.direction == KVM_EXIT_IO_OUT) {
            address_space_st(&m->as_io, run->io.port, size, ldn_le_p(data, size));
        } else {
            uint64_t val = 0;
            address_space_ld(&m->as_io, run->io.port, size, &val);
            stn_le_p(data, size, val);
        }
    }
}

static void kvm_handle_mmio(KVMVCPU *v)
{
    struct kvm_run *run = v->run;
    Machine *m = v->s->m;
    unsigned len = run->mmio.len;
    uint64_t addr = run->mmio.phys_addr;

    if (len == 0 || len > sizeof(run->mmio.data)) {
        error_report("kvm: bad MMIO exit (address %#" PRIx64 " length %u)", addr, len);
        return;
    }
    if (len == 1 || len == 2 || len == 4 || len == 8) {
        if (run->mmio.is_write) {
            address_space_st(&m->as_memory, addr, len, ldn_le_p(run->mmio.data, len));
        } else {
            uint64_t val = 0;
            address_space_ld(&m->as_memory, addr, len, &val);
            stn_le_p(run->mmio.data, len, val);
        }
    } else if (run->mmio.is_write) {
        address_space_write(&m->as_memory, addr, run->mmio.data, len);
    } else {
        address_space_read(&m->as_memory, addr, run->mmio.data, len);
    }
}

/* Something KVM could not do: say so with the registers, and end the run. */
static void kvm_vcpu_fail(KVMVCPU *v, const char *what)
{
    error_report("kvm: CPU %d: %s", v->index, what);
    kvm_x86_get_state(v);
    x86_cpu_dump_state(v->env, stderr);
    v->failed = true;
    machine_request_exit(v->s->m, 1);
}

static void kvm_handle_exit(KVMVCPU *v)
{
    struct kvm_run *run = v->run;
    Machine *m = v->s->m;
    char what[128];

    m->current_cpu = v->index;
    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        kvm_handle_io(v);
        break;
    case KVM_EXIT_MMIO:
        kvm_handle_mmio(v);
        break;
    case KVM_EXIT_IRQ_WINDOW_OPEN:
    case KVM_EXIT_INTR:
        break;
    case KVM_EXIT_SHUTDOWN:
        /* A triple fault: the PC resets, as on the DBT. */
        log_mask(LOG_INT | LOG_GUEST_ERROR, "triple fault: CPU %d shut down\n", v->index);
        machine_request_reset(m, SHUTDOWN_CAUSE_GUEST_RESET);
        break;
    case KVM_EXIT_SYSTEM_EVENT:
        if (run->system_event.type == KVM_SYSTEM_EVENT_RESET) {
            machine_request_reset(m, SHUTDOWN_CAUSE_GUEST_RESET);
        } else {
            machine_request_shutdown(m, SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
        }
        break;
    case KVM_EXIT_FAIL_ENTRY:
        snprintf(what, sizeof(what), "KVM could not enter the guest (hardware reason %#llx)",
                 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
        kvm_vcpu_fail(v, what);
        break;
    case KVM_EXIT_INTERNAL_ERROR:
        snprintf(what, sizeof(what), "KVM internal error (suberror %u)",
                 run->internal.suberror);
        kvm_vcpu_fail(v, what);
        break;
    default:
        snprintf(what, sizeof(what), "unhandled KVM exit reason %u", run->exit_reason);
        kvm_vcpu_fail(v, what);
        break;
    }
    m->current_cpu = 0;
}

static void *kvm_vcpu_thread(void *opaque)
{
    KVMVCPU *v = opaque;
    KVMState *s = v->s;
    sigset_t kick;

    sigemptyset(&kick);
    sigaddset(&kick, KVM_KICK_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &kick, NULL);

    pthread_mutex_lock(&s->bql);
    while (!s->quit) {
        if (!kvm_vcpu_should_run(v)) {
            s->nr_parked++;
            pthread_cond_broadcast(&s->parked_cond);
            pthread_cond_wait(&s->run_cond, &s->bql);
            s->nr_parked--;
            continue;
        }
        if (log_enabled(LOG_CPU)) {
            kvm_x86_get_state(v);
            x86_cpu_dump_state(v->env, log_file());
        }
        pthread_mutex_unlock(&s->bql);
        int r = ioctl(v->fd, KVM_RUN, 0);
        int err = errno;
        pthread_mutex_lock(&s->bql);
        /* Clear the kick before looking at the flags it may stand for. */
        __atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
        if (r < 0) {
            if (err != EINTR && err != EAGAIN) {
                char what[96];
                snprintf(what, sizeof(what), "KVM_RUN failed: %s", strerror(err));
                kvm_vcpu_fail(v, what);
            }
            continue;
        }
        kvm_handle_exit(v);
    }
    s->nr_parked++;
    pthread_cond_broadcast(&s->parked_cond);
    pthread_mutex_unlock(&s->bql);
    return NULL;
}

static void kvm_start_threads(KVMState *s)
{
    sigset_t kick;

    /* Only vCPU threads take the kick signal: the others keep it blocked. */
    sigemptyset(&kick);
    sigaddset(&kick, KVM_KICK_SIGNAL);
    pthread_sigmask(SIG_BLOCK, &kick, NULL);
    for (int i = 0; i < s->nr_vcpus; i++) {
        KVMVCPU *v = &s->vcpus[i];
        if (pthread_create(&v->thread, NULL, kvm_vcpu_thread, v) != 0) {
            error_report("kvm: cannot create the thread of CPU %d", i);
            v->failed = true;
            s->nr_parked++; /* never runs, counts as parked */
            continue;
        }
        v->thread_started = true;
    }
    s->threads_started = true;
}

/* The main loop calls this while the VM runs: let the vCPU threads go, then sleep. */
static bool kvm_run_slice(Machine *m)
{
    KVMState *s = m->accel_state;
    if (!s->threads_started) {
        kvm_start_threads(s);
    }
    pthread_cond_broadcast(&s->run_cond);
    return true;
}

/* ---- memory slots ---- */

static void kvm_set_slot(KVMState *s, int id, const KVMSlot *slot, bool remove)
{
    struct kvm_userspace_memory_region r = {
        .slot = (uint32_t)id,
        .flags = (slot->readonly ? KVM_MEM_READONLY : 0) |
                 (slot->log_dirty ? KVM_MEM_LOG_DIRTY_PAGES : 0),
        .guest_phys_addr = slot->gpa,
        .memory_size = remove ? 0 : slot->size,
        .userspace_addr = (uint64_t)(uintptr_t)slot->hva,
    };
    if (kvm_vm_ioctl(s, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
        error_report("kvm: memory slot %d at %#" PRIx64 " (%#" PRIx64 " bytes): %s", id,
                     slot->gpa, slot->size, strerror(errno));
    }
}

static bool kvm_slot_same(const KVMSlot *a, const KVMSlot *b)
{
    return a->gpa == b->gpa && a->size == b->size && a->hva == b->hva &&
           a->readonly == b->readonly && a->log_dirty == b->log_dirty;
}

/* The slots the flat view asks for: RAM and ROM, trimmed to whole pages. */
static int kvm_wanted_slots(KVMState *s, AddressSpace *as, KVMSlot *out, int max)
{
    int n = 0;
    for (int i = 0; as->view && i < as->view->nr; i++) {
        const FlatRange *fr = &as->view->ranges[i];
        MemoryRegion *mr = fr->mr;
        if ((mr->kind != MR_RAM && mr->kind != MR_ROM) || !mr->ram) {
            continue;
        }
        uint64_t start = (fr->start + MEMORY_PAGE_SIZE - 1) & ~(MEMORY_PAGE_SIZE - 1);
        uint64_t end = fr->start + fr->size; /* a RAM range never reaches 2^64 */
        end &= ~(MEMORY_PAGE_SIZE - 1);
        if (end <= start || fr->start + fr->size < fr->start) {
            continue; /* partial pages stay MMIO: address_space_ld/st handles them */
        }
        if (n == max) {
            error_report("kvm: more than %d RAM ranges; the rest runs as MMIO", max);
            break;
        }
        uint64_t off = fr->offset_in_region + (start - fr->start);
        out[n++] = (KVMSlot){
            .used = true, .gpa = start, .size = end - start, .hva = mr->ram + off,
            .readonly = mr->kind == MR_ROM || mr->readonly,
            .log_dirty = mr->dirty_bitmap != NULL, .mr = mr, .mr_offset = off,
        };
    }
    (void)s;
    return n;
}

static void kvm_map_changed(MemoryListener *l, AddressSpace *as)
{
    KVMState *s = container_of(l, KVMState, listener);
    KVMSlot *want = xcalloc(s->nr_slots, sizeof(*want));
    int nw = kvm_wanted_slots(s, as, want, s->nr_slots);
    bool *kept = xcalloc(nw ? nw : 1, sizeof(*kept));

    /* Remove what changed first: KVM refuses overlapping slots. */
    for (int id = 0; id < s->nr_slots; id++) {
        KVMSlot *slot = &s->slots[id];
        int j;
        if (!slot->used) {
            continue;
        }
        for (j = 0; j < nw; j++) {
            if (!kept[j] && kvm_slot_same(slot, &want[j])) {
                break;
            }
        }
        if (j < nw) {
            kept[j] = true;
            continue;
        }
        if (slot->log_dirty && slot->mr->dirty_bitmap) {
            /* Its dirty log goes with it: count every page as written. */
            memory_region_set_dirty(slot->mr, slot->mr_offset, slot->size);
        }
        kvm_set_slot(s, id, slot, true);
        slot->used = false;
    }
    for (int j = 0, id = 0; j < nw; j++) {
        if (kept[j]) {
            continue;
        }
        while (id < s->nr_slots && s->slots[id].used) {
            id++;
        }
        if (id == s->nr_slots) {
            break; /* cannot happen: nw <= nr_slots */
        }
        s->slots[id] = want[j];
        kvm_set_slot(s, id, &s->slots[id], false);
    }
    free(kept);
    free(want);
}

static void kvm_sync_dirty_bitmap(Machine *m, MemoryRegion *mr)
{
    KVMState *s = m->accel_state;
    if (!s || !mr->dirty_bitmap) {
        return;
    }
    for (int id = 0; id < s->nr_slots; id++) {
        KVMSlot *slot = &s->slots[id];
        if (!slot->used || slot->mr != mr) {
            continue;
        }
        if (!slot->log_dirty) {
            /* Tracking was turned on after the slot was made: start logging now. */
            slot->log_dirty = true;
            kvm_set_slot(s, id, slot, false);
            memory_region_set_dirty(mr, slot->mr_offset, slot->size);
            continue;
        }
        uint64_t pages = slot->size >> MEMORY_PAGE_BITS;
        uint64_t *bits = xcalloc((pages + 63) / 64, sizeof(uint64_t));
        struct kvm_dirty_log log = {.slot = (uint32_t)id, .dirty_bitmap = bits};
        if (kvm_vm_ioctl(s, KVM_GET_DIRTY_LOG, &log) < 0) {
            memory_region_set_dirty(mr, slot->mr_offset, slot->size);
        } else {
            for (uint64_t p = 0; p < pages; p++) {
                if (bits[p / 64] & (1ULL << (p % 64))) {
                    memory_region_set_dirty(mr, slot->mr_offset + (p << MEMORY_PAGE_BITS),
                                            MEMORY_PAGE_SIZE);
                }
            }
        }
        free(bits);
    }
}

/* The memory API's way in (memory_region_sync_dirty_bitmap), for devices. */
static void kvm_log_sync(MemoryListener *l, AddressSpace *as, MemoryRegion *mr)
{
    KVMState *s = container_of(l, KVMState, listener);
    kvm_sync_dirty_bitmap(s->m, mr);
}

/* ---- interrupt lines into the in-kernel irqchip ---- */

static void kvm_irq_line(KVMState *s, uint32_t gsi, int level)
{
    struct kvm_irq_level irq = {.irq = gsi, .level = (uint32_t)(level != 0)};
    if (kvm_vm_ioctl(s, KVM_IRQ_LINE, &irq) < 0) {
        error_report("kvm: KVM_IRQ_LINE %u: %s", gsi, strerror(errno));
    }
}

static void kvm_pic_input(void *opaque, int n, int level)
{
    kvm_irq_line(opaque, KVM_GSI_PIC_BASE + (uint32_t)n, level);
}

static void kvm_ioapic_input(void *opaque, int n, int level)
{
    kvm_irq_line(opaque, KVM_GSI_IOAPIC_BASE + (uint32_t)n, level);
}

static bool kvm_setup_gsi_routing(KVMState *s, Error **errp)
{
    int n = KVM_NR_IOAPIC_PINS + KVM_NR_PIC_PINS;
    struct kvm_irq_routing *r = xcalloc(1, sizeof(*r) + n * sizeof(r->entries[0]));
    r->nr = (uint32_t)n;
    for (int i = 0; i < KVM_NR_IOAPIC_PINS; i++) {
        r->entries[i] = (struct kvm_irq_routing_entry){
            .gsi = KVM_GSI_IOAPIC_BASE + (uint32_t)i, .type = KVM_IRQ_ROUTING_IRQCHIP,
            .u.irqchip = {.irqchip = KVM_IRQCHIP_IOAPIC, .pin = (uint32_t)i},
        };
    }
    for (int i = 0; i < KVM_NR_PIC_PINS; i++) {
        r->entries[KVM_NR_IOAPIC_PINS + i] = (struct kvm_irq_routing_entry){
            .gsi = KVM_GSI_PIC_BASE + (uint32_t)i, .type = KVM_IRQ_ROUTING_IRQCHIP,
            .u.irqchip = {.irqchip = i < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
                          .pin = (uint32_t)(i & 7)},
        };
    }
    int ret = kvm_vm_ioctl(s, KVM_SET_GSI_ROUTING, r);
    free(r);
    if (ret < 0) {
        error_setg(errp, "KVM_SET_GSI_ROUTING: %s", strerror(errno));
        return false;
    }
    return true;
}

/*
 * The board's PIC and IOAPIC stay in the device list (their registers are
 * never reached: the kernel claims their ports and MMIO page), but whatever
 * drives their inputs (ISA devices, the HPET, PCI INTx) now reaches the
 * kernel's irqchip instead.
 */
static void kvm_take_irq_lines(KVMState *s)
{
    Machine *m = s->m;
    int n = 0;
    IRQState *pic = machine_find_named_irqs(m, "pic-in", &n);
    if (pic && n == KVM_NR_PIC_PINS) {
        s->pic_in = pic;
        for (int i = 0; i < n; i++) {
            s->pic_saved[i] = pic[i].handler;
            s->pic_saved_opaque[i] = pic[i].opaque;
            pic[i].handler = kvm_pic_input;
            pic[i].opaque = s;
            if (pic[i].level) {
                kvm_pic_input(s, i, 1);
            }
        }
    }
    IRQState *ioapic = machine_find_named_irqs(m, "ioapic-in", &n);
    if (ioapic && n == KVM_NR_IOAPIC_PINS) {
        s->ioapic_in = ioapic;
        for (int i = 0; i < n; i++) {
            s->ioapic_saved[i] = ioapic[i].handler;
            s->ioapic_saved_opaque[i] = ioapic[i].opaque;
            ioapic[i].handler = kvm_ioapic_input;
            ioapic[i].opaque = s;
            if (ioapic[i].level) {
                kvm_ioapic_input(s, i, 1);
            }
        }
    }
}

static void kvm_give_back_irq_lines(KVMState *s)
{
    for (int i = 0; s->pic_in && i < KVM_NR_PIC_PINS; i++) {
        s->pic_in[i].handler = s->pic_saved[i];
        s->pic_in[i].opaque = s->pic_saved_opaque[i];
    }
    for (int i = 0; s->ioapic_in && i < KVM_NR_IOAPIC_PINS; i++) {
        s->ioapic_in[i].handler = s->ioapic_saved[i];
        s->ioapic_in[i].opaque = s->ioapic_saved_opaque[i];
    }
    s->pic_in = s->ioapic_in = NULL;
}

/* The IOAPIC ID the board gave its IOAPIC (the MADT says it), read as a guest would. */
static uint8_t kvm_board_ioapic_id(Machine *m)
{
    uint64_t id = 0;
    if (address_space_st(&m->as_memory, 0xfec00000u, 4, 0) != MEMTX_OK ||
        address_space_ld(&m->as_memory, 0xfec00010u, 4, &id) != MEMTX_OK) {
        return 0;
    }
    return (uint8_t)((id >> 24) & 0xf);
}

/* ---- life cycle ---- */

static void kvm_destroy(Machine *m);

static bool kvm_vcpu_create(KVMState *s, int index, Error **errp)
{
    KVMVCPU *v = &s->vcpus[index];
    v->s = s;
    v->index = index;
    v->env = s->m->cpus[index];
    v->fd = ioctl(s->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
    if (v->fd < 0) {
        v->fd = -1;
        error_setg(errp, "KVM_CREATE_VCPU %d: %s", index, strerror(errno));
        return false;
    }
    int size = ioctl(s->dev_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size < (int)sizeof(struct kvm_run)) {
        error_setg(errp, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
        return false;
    }
    void *run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
    if (run == MAP_FAILED) {
        error_setg(errp, "mmap of the KVM run area: %s", strerror(errno));
        return false;
    }
    v->run = run;
    v->run_size = (size_t)size;
    return kvm_x86_vcpu_init(v, errp);
}

static bool kvm_init(Machine *m, const char *opts, Error **errp)
{
    char *why = NULL;
    KVMState *s;

    if (opts && *opts) {
        error_setg(errp, "unknown option '%s'", opts);
        return false;
    }
    s = XNEW(KVMState);
    s->m = m;
    s->vm_fd = -1;
    s->dev_fd = kvm_open_device(&why);
    pthread_mutex_init(&s->bql, NULL);
    pthread_cond_init(&s->run_cond, NULL);
    pthread_cond_init(&s->parked_cond, NULL);
    m->accel_state = s;
    /* From here on the main thread holds the lock except while it sleeps in poll. */
    pthread_mutex_lock(&s->bql);
    main_loop_set_poll_hooks(m->loop, kvm_bql_unlock, kvm_bql_lock, s);
    if (s->dev_fd < 0) {
        error_setg(errp, "%s", why);
        free(why);
        goto fail;
    }
    static const struct {
        int cap;
        const char *name;
    } needed[] = {
        {KVM_CAP_IRQCHIP, "in-kernel irqchip"}, {KVM_CAP_IRQ_ROUTING, "GSI routing"},
        {KVM_CAP_IMMEDIATE_EXIT, "immediate_exit"}, {KVM_CAP_USER_MEMORY, "user memory"},
        {KVM_CAP_READONLY_MEM, "read-only memory slots"}, {KVM_CAP_MP_STATE, "MP state"},
        {KVM_CAP_XSAVE, "XSAVE state"}, {KVM_CAP_XCRS, "XCRs"},
        {KVM_CAP_DEBUGREGS, "debug registers"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(needed); i++) {
        if (ioctl(s->dev_fd, KVM_CHECK_EXTENSION, needed[i].cap) <= 0) {
            error_setg(errp, "this host's KVM lacks %s", needed[i].name);
            goto fail;
        }
    }
    int slots = ioctl(s->dev_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
    s->nr_slots = slots > 0 ? MIN(slots, KVM_MAX_SLOTS) : 32;
    s->slots = xcalloc(s->nr_slots, sizeof(*s->slots));

    s->vm_fd = ioctl(s->dev_fd, KVM_CREATE_VM, 0);
    if (s->vm_fd < 0) {
        error_setg(errp, "KVM_CREATE_VM: %s", strerror(errno));
        goto fail;
    }
    /* VT-x needs these for real mode; harmless elsewhere.  They sit in the PCI hole. */
    uint64_t identity = KVM_IDENTITY_MAP_ADDR;
    ioctl(s->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &identity);
    if (ioctl(s->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0) {
        error_setg(errp, "KVM_SET_TSS_ADDR: %s", strerror(errno));
        goto fail;
    }
    s->ioapic_id = kvm_board_ioapic_id(m);
    if (kvm_vm_ioctl(s, KVM_CREATE_IRQCHIP, NULL) < 0) {
        error_setg(errp, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
        goto fail;
    }
    if (!kvm_setup_gsi_routing(s, errp) || !kvm_x86_init(s, errp)) {
        goto fail;
    }
    kvm_x86_reset_irqchip(s);
    s->nr_vcpus = m->nr_cpus;
    for (int i = 0; i < m->nr_cpus; i++) {
        s->vcpus[i].fd = -1;
    }
    for (int i = 0; i < m->nr_cpus; i++) {
        if (!kvm_vcpu_create(s, i, errp)) {
            goto fail;
        }
    }
    s->listener.map_changed = kvm_map_changed;
    s->listener.log_sync = kvm_log_sync;
    address_space_add_listener(&m->as_memory, &s->listener);
    kvm_take_irq_lines(s);

    /*
     * SA_RESTART: a kick that lands while a vCPU thread runs device code must not make
     * its host I/O fail with EINTR.  KVM_RUN itself still returns EINTR (never restarted).
     */
    struct sigaction sa = {.sa_handler = kvm_kick_signal_handler, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    sigaction(KVM_KICK_SIGNAL, &sa, NULL);
    /* The board reset the CPUs before we existed: load that state. */
    for (int i = 0; i < s->nr_vcpus; i++) {
        kvm_x86_put_state(&s->vcpus[i], true);
    }
    return true;
fail:
    kvm_destroy(m);
    return false;
}

static void kvm_reset(Machine *m)
{
    KVMState *s = m->accel_state;
    if (!s) {
        return;
    }
    kvm_pause_all(s);
    kvm_x86_reset_irqchip(s);
    for (int i = 0; i < s->nr_vcpus; i++) {
        x86_cpu_reset(m->cpus[i]);
        s->vcpus[i].failed = false;
        kvm_x86_put_state(&s->vcpus[i], true);
    }
    kvm_resume_all(s);
}

static void kvm_cpu_state_get(Machine *m, int cpu)
{
    KVMState *s = m->accel_state;
    if (!s || cpu >= s->nr_vcpus) {
        return;
    }
    kvm_pause_all(s);
    kvm_x86_get_state(&s->vcpus[cpu]);
    kvm_resume_all(s);
}

static void kvm_cpu_state_put(Machine *m, int cpu)
{
    KVMState *s = m->accel_state;
    if (!s || cpu >= s->nr_vcpus) {
        return;
    }
    kvm_pause_all(s);
    kvm_x86_put_state(&s->vcpus[cpu], false);
    kvm_resume_all(s);
}

static void kvm_destroy(Machine *m)
{
    KVMState *s = m->accel_state;
    if (!s) {
        return;
    }
    if (s->threads_started) {
        s->quit = true;
        pthread_cond_broadcast(&s->run_cond);
        kvm_kick(m);
        /* They need the lock to finish an exit: let go while joining. */
        pthread_mutex_unlock(&s->bql);
        for (int i = 0; i < s->nr_vcpus; i++) {
            if (s->vcpus[i].thread_started) {
                pthread_join(s->vcpus[i].thread, NULL);
            }
        }
        pthread_mutex_lock(&s->bql);
    }
    main_loop_set_poll_hooks(m->loop, NULL, NULL, NULL);
    kvm_give_back_irq_lines(s);
    if (s->listener.map_changed) {
        address_space_remove_listener(&m->as_memory, &s->listener);
    }
    for (int i = 0; i < s->nr_vcpus; i++) {
        KVMVCPU *v = &s->vcpus[i];
        kvm_x86_vcpu_cleanup(v);
        if (v->run) {
            munmap(v->run, v->run_size);
        }
        if (v->fd >= 0) {
            close(v->fd);
        }
    }
    kvm_x86_cleanup(s);
    if (s->vm_fd >= 0) {
        close(s->vm_fd);
    }
    if (s->dev_fd >= 0) {
        close(s->dev_fd);
    }
    free(s->slots);
    pthread_mutex_unlock(&s->bql);
    pthread_mutex_destroy(&s->bql);
    pthread_cond_destroy(&s->run_cond);
    pthread_cond_destroy(&s->parked_cond);
    free(s);
    m->accel_state = NULL;
}

static const AccelOps kvm_accel_ops = {
    .name = "kvm",
    .available = kvm_available,
    .preferred = kvm_preferred,
    .init = kvm_init,
    .run_slice = kvm_run_slice,
    .kick = kvm_kick,
    .reset = kvm_reset,
    .destroy = kvm_destroy,
    .cpu_state_get = kvm_cpu_state_get,
    .cpu_state_put = kvm_cpu_state_put,
    .sync_dirty_bitmap = kvm_sync_dirty_bitmap,
};
ACCEL_REGISTER(kvm_accel_ops)
