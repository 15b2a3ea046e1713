/*
 * The KVM accelerator's x86 side: CPUID for the vCPUs, and the guest state
 * copied between CPUX86State and the kernel (general, segment, control and
 * debug registers, MSRs, x87/SSE through the XSAVE image, XCRs, the local
 * APIC and the MP state at reset).
 *
 * References: Documentation/virt/kvm/api.rst; Intel SDM vol. 1 10.5.1
 * (FXSAVE image layout), vol. 1 13.4 (XSAVE header), vol. 3A table 9-1 and
 * 10.4 / 10.12 (local APIC registers and their reset values).
 */
#include <errno.h>
#include <inttypes.h>
#include <sys/ioctl.h>

#include "accel/kvm/kvm-internal.h"
#include "core/log.h"
#include "core/options.h"
#include "cpu/x86/cpuid.h"
#include "cpu/x86/msr.h"

#define KVM_MAX_MSRS 48
#define KVM_MAX_CPUID_ENTRIES 512

/* Local APIC register offsets (SDM vol. 3A table 10-1) in the KVM_GET_LAPIC image. */
#define APIC_REG_ID 0x20
#define APIC_REG_VERSION 0x30
#define APIC_REG_LDR 0xd0
#define APIC_REG_DFR 0xe0
#define APIC_REG_SVR 0xf0
#define APIC_REG_LVT_FIRST 0x2f0 /* CMCI */
#define APIC_REG_LVT_LAST 0x370  /* error */
#define APIC_LVT_MASKED (1u << 16)

/* The MSRs we move, in the order msr_value() knows them. */
static void kvm_msr_candidates(uint32_t *list, int *n)
{
    static const uint32_t fixed[] = {
        MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP, MSR_STAR,
        MSR_LSTAR, MSR_CSTAR, MSR_FMASK, MSR_KERNEL_GS_BASE, MSR_TSC_AUX, MSR_IA32_CR_PAT,
        MSR_IA32_MISC_ENABLE, MSR_MTRRdefType, MSR_MTRRfix64K_00000, MSR_MTRRfix16K_80000,
        MSR_MTRRfix16K_A0000,
    };
    *n = 0;
    for (size_t i = 0; i < ARRAY_SIZE(fixed); i++) {
        list[(*n)++] = fixed[i];
    }
    for (uint32_t i = 0; i < 8; i++) {
        list[(*n)++] = MSR_MTRRfix4K_C0000 + i;
    }
    for (uint32_t i = 0; i < 16; i++) {
        list[(*n)++] = MSR_MTRRphysBase0 + i;
    }
}

/* Where an MSR lives in env; NULL for one we do not keep. */
static uint64_t *msr_field(CPUX86State *env, uint32_t msr)
{
    switch (msr) {
    case MSR_IA32_SYSENTER_CS: return &env->sysenter_cs;
    case MSR_IA32_SYSENTER_ESP: return &env->sysenter_esp;
    case MSR_IA32_SYSENTER_EIP: return &env->sysenter_eip;
    case MSR_STAR: return &env->star;
    case MSR_LSTAR: return &env->lstar;
    case MSR_CSTAR: return &env->cstar;
    case MSR_FMASK: return &env->fmask;
    case MSR_KERNEL_GS_BASE: return &env->kernel_gs_base;
    case MSR_TSC_AUX: return &env->tsc_aux;
    case MSR_IA32_CR_PAT: return &env->pat;
    case MSR_IA32_MISC_ENABLE: return &env->misc_enable;
    case MSR_MTRRdefType: return &env->mtrr_deftype;
    case MSR_MTRRfix64K_00000: return &env->mtrr_fixed[0];
    case MSR_MTRRfix16K_80000: return &env->mtrr_fixed[1];
    case MSR_MTRRfix16K_A0000: return &env->mtrr_fixed[2];
    default:
        break;
    }
    if (msr >= MSR_MTRRfix4K_C0000 && msr < MSR_MTRRfix4K_C0000 + 8) {
        return &env->mtrr_fixed[3 + msr - MSR_MTRRfix4K_C0000];
    }
    if (msr >= MSR_MTRRphysBase0 && msr < MSR_MTRRphysBase0 + 16) {
        uint32_t i = msr - MSR_MTRRphysBase0;
        return &env->mtrr_var[i / 2][i % 2];
    }
    return NULL;
}

/* Keep only the MSRs this kernel can save and restore. */
static bool kvm_init_msr_list(KVMState *s, Error **errp)
{
    uint32_t cand[KVM_MAX_MSRS];
    int nc;
    struct kvm_msr_list probe = {.nmsrs = 0};
    kvm_msr_candidates(cand, &nc);

    if (ioctl(s->dev_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG) {
        error_setg(errp, "KVM_GET_MSR_INDEX_LIST: %s", strerror(errno));
        return false;
    }
    struct kvm_msr_list *list = xcalloc(1, sizeof(*list) + probe.nmsrs * sizeof(uint32_t));
    list->nmsrs = probe.nmsrs;
    if (ioctl(s->dev_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
        error_setg(errp, "KVM_GET_MSR_INDEX_LIST: %s", strerror(errno));
        free(list);
        return false;
    }
    s->msr_list = xcalloc(nc, sizeof(uint32_t));
    for (int i = 0; i < nc; i++) {
        bool found = false;
        for (uint32_t j = 0; j < list->nmsrs && !found; j++) {
            found = list->indices[j] == cand[i];
        }
        /* The kernel emulates the MTRRs and PAT without listing every one. */
        if (found || (cand[i] >= MSR_MTRRphysBase0 && cand[i] <= MSR_MTRRdefType)) {
            s->msr_list[s->nr_msrs++] = cand[i];
        }
    }
    free(list);
    return true;
}

bool kvm_x86_init(KVMState *s, Error **errp)
{
    int n = KVM_MAX_CPUID_ENTRIES;
    s->supported_cpuid = xcalloc(1, sizeof(*s->supported_cpuid) +
                                        n * sizeof(struct kvm_cpuid_entry2));
    s->supported_cpuid->nent = (uint32_t)n;
    if (ioctl(s->dev_fd, KVM_GET_SUPPORTED_CPUID, s->supported_cpuid) < 0) {
        error_setg(errp, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
        return false;
    }
    s->cpu_host = s->m->cfg->cpu_model && !strcmp(s->m->cfg->cpu_model, "host");
    int xsave2 = ioctl(s->dev_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE2);
    s->xsave2 = xsave2 > (int)sizeof(struct kvm_xsave);
    s->xsave_size = s->xsave2 ? (size_t)xsave2 : sizeof(struct kvm_xsave);
    return kvm_init_msr_list(s, errp);
}

void kvm_x86_cleanup(KVMState *s)
{
    free(s->supported_cpuid);
    s->supported_cpuid = NULL;
    free(s->msr_list);
    s->msr_list = NULL;
}

static const struct kvm_cpuid_entry2 *supported_leaf(KVMState *s, uint32_t fn, uint32_t index)
{
    for (uint32_t i = 0; i < s->supported_cpuid->nent; i++) {
        const struct kvm_cpuid_entry2 *e = &s->supported_cpuid->entries[i];
        if (e->function == fn &&
            (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index)) {
            return e;
        }
    }
    return NULL;
}

static bool leaf_has_subleaves(uint32_t fn)
{
    return fn == 4 || fn == 7 || fn == 0xb || fn == 0xd || fn == 0xf || fn == 0x10 ||
           fn == 0x12 || fn == 0x14 || fn == 0x17 || fn == 0x18 || fn == 0x1d ||
           fn == 0x1e || fn == 0x1f || fn == 0x8000001d;
}

/*
 * Our model's leaves (cpu/x86/cpuid.c), so a guest sees the same CPU as on
 * the DBT, with the feature words cut down to what KVM can give.  -cpu host
 * passes KVM's whole list through with this vCPU's APIC ID.
 */
static bool kvm_set_cpuid(KVMVCPU *v, Error **errp)
{
    KVMState *s = v->s;
    CPUX86State *env = v->env;
    struct kvm_cpuid2 *c = xcalloc(1, sizeof(*c) +
                                          KVM_MAX_CPUID_ENTRIES * sizeof(c->entries[0]));
    uint32_t n = 0;

    if (s->cpu_host) {
        for (uint32_t i = 0; i < s->supported_cpuid->nent; i++) {
            struct kvm_cpuid_entry2 e = s->supported_cpuid->entries[i];
            if (e.function == 1) {
                e.ebx = (e.ebx & 0x00ffffffu) | ((uint32_t)v->index << 24);
            } else if (e.function == 0xb || e.function == 0x1f) {
                e.edx = (uint32_t)v->index;
            }
            c->entries[n++] = e;
        }
    } else {
        uint32_t a, b, cx, d, max_basic, max_ext;
        x86_cpuid(env, 0, 0, &max_basic, &b, &cx, &d);
        x86_cpuid(env, 0x80000000u, 0, &max_ext, &b, &cx, &d);
        for (uint64_t fn = 0; fn <= 0x80000000ull + 0x40; fn++) {
            if (fn > max_basic && fn < 0x80000000ull) {
                fn = 0x80000000ull;
            }
            if (fn >= 0x80000000ull && (max_ext < 0x80000000u || fn > max_ext)) {
                break;
            }
            uint32_t f = (uint32_t)fn;
            x86_cpuid(env, f, 0, &a, &b, &cx, &d);
            const struct kvm_cpuid_entry2 *sup = supported_leaf(s, f, 0);
            if (f == 0x15 || f == 0x16) {
                /* The DBT's TSC frequency; under KVM the TSC runs at the host's rate. */
                a = b = cx = d = 0;
            } else if (f == 1 || f == 0x80000001u) {
                /* A feature KVM cannot give would fault in the guest: drop it. */
                cx &= sup ? sup->ecx : 0;
                d &= sup ? sup->edx : 0;
            } else if (f == 7) {
                b &= sup ? sup->ebx : 0;
                cx &= sup ? sup->ecx : 0;
                d &= sup ? sup->edx : 0;
            }
            c->entries[n++] = (struct kvm_cpuid_entry2){
                .function = f, .index = 0,
                .flags = leaf_has_subleaves(f) ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
                .eax = a, .ebx = b, .ecx = cx, .edx = d,
            };
            if (n == KVM_MAX_CPUID_ENTRIES) {
                break;
            }
        }
    }
    c->nent = n;
    int r = kvm_vcpu_ioctl(v, KVM_SET_CPUID2, c);
    free(c);
    if (r < 0) {
        error_setg(errp, "KVM_SET_CPUID2 for CPU %d: %s", v->index, strerror(errno));
        return false;
    }
    return true;
}

bool kvm_x86_vcpu_init(KVMVCPU *v, Error **errp)
{
    v->xsave = xcalloc(1, v->s->xsave_size);
    return kvm_set_cpuid(v, errp);
}

void kvm_x86_vcpu_cleanup(KVMVCPU *v)
{
    free(v->xsave);
    v->xsave = NULL;
}

/* ---- segment and descriptor-cache conversion ---- */

static void seg_to_kvm(const SegmentCache *sc, struct kvm_segment *k)
{
    uint32_t f = sc->flags;
    *k = (struct kvm_segment){
        .base = sc->base, .limit = sc->limit, .selector = sc->selector,
        .type = (f >> DESC_TYPE_SHIFT) & 15, .s = (f >> 12) & 1,
        .dpl = (f >> DESC_DPL_SHIFT) & 3, .present = (f >> 15) & 1, .avl = (f >> 20) & 1,
        .l = (f >> 21) & 1, .db = (f >> 22) & 1, .g = (f >> 23) & 1,
    };
    k->unusable = !k->present;
}

static void seg_from_kvm(const struct kvm_segment *k, SegmentCache *sc)
{
    bool present = k->present && !k->unusable;
    sc->selector = k->selector;
    sc->base = k->base;
    sc->limit = k->limit;
    sc->flags = ((uint32_t)k->type << DESC_TYPE_SHIFT) | ((uint32_t)k->s << 12) |
                ((uint32_t)k->dpl << DESC_DPL_SHIFT) | ((uint32_t)present << 15) |
                ((uint32_t)k->avl << 20) | ((uint32_t)k->l << 21) | ((uint32_t)k->db << 22) |
                ((uint32_t)k->g << 23);
}

/* ---- x87 / SSE in the FXSAVE image at the start of the XSAVE area ---- */

#define FXSAVE_FCW 0
#define FXSAVE_FSW 2
#define FXSAVE_FTW 4
#define FXSAVE_FOP 6
#define FXSAVE_FIP 8
#define FXSAVE_FDP 16
#define FXSAVE_MXCSR 24
#define FXSAVE_ST0 32
#define FXSAVE_XMM0 160
#define XSAVE_HEADER_XSTATE_BV 512
#define XSTATE_X87_SSE 3u

static void fpu_from_xsave(CPUX86State *env, const uint8_t *x)
{
    uint16_t fsw = lduw_le_p(x + FXSAVE_FSW);
    uint8_t ftw = x[FXSAVE_FTW];
    env->fpuc = lduw_le_p(x + FXSAVE_FCW);
    env->fpstt = (fsw >> 11) & 7;
    env->fpus = fsw & ~0x3800u;
    env->fpop = lduw_le_p(x + FXSAVE_FOP) & 0x7ff;
    env->fpip = ldq_le_p(x + FXSAVE_FIP);
    env->fpdp = ldq_le_p(x + FXSAVE_FDP);
    env->fpcs = env->fpds = 0;
    for (int i = 0; i < 8; i++) {
        /* The abridged tag has one bit per physical register: 1 = valid. */
        env->fptags[i] = !((ftw >> i) & 1);
        const uint8_t *st = x + FXSAVE_ST0 + 16 * i;
        FPReg *r = &env->fpregs[(env->fpstt + i) & 7];
        r->d.sig = ldq_le_p(st);
        r->d.se = lduw_le_p(st + 8);
    }
    env->mxcsr = ldl_le_p(x + FXSAVE_MXCSR);
    for (int i = 0; i < 16; i++) {
        memcpy(env->xmm[i].b, x + FXSAVE_XMM0 + 16 * i, 16);
    }
}

static void fpu_to_xsave(const CPUX86State *env, uint8_t *x)
{
    uint8_t ftw = 0;
    stw_le_p(x + FXSAVE_FCW, env->fpuc);
    stw_le_p(x + FXSAVE_FSW, (uint16_t)((env->fpus & ~0x3800u) | ((env->fpstt & 7) << 11)));
    for (int i = 0; i < 8; i++) {
        ftw |= (uint8_t)(!env->fptags[i] << i);
        uint8_t *st = x + FXSAVE_ST0 + 16 * i;
        const FPReg *r = &env->fpregs[(env->fpstt + i) & 7];
        memset(st, 0, 16);
        stq_le_p(st, r->d.sig);
        stw_le_p(st + 8, r->d.se);
    }
    x[FXSAVE_FTW] = ftw;
    stw_le_p(x + FXSAVE_FOP, env->fpop);
    stq_le_p(x + FXSAVE_FIP, env->fpip);
    stq_le_p(x + FXSAVE_FDP, env->fpdp);
    stl_le_p(x + FXSAVE_MXCSR, env->mxcsr);
    for (int i = 0; i < 16; i++) {
        memcpy(x + FXSAVE_XMM0 + 16 * i, env->xmm[i].b, 16);
    }
    /* The x87 and SSE components now hold data, not their init state. */
    stq_le_p(x + XSAVE_HEADER_XSTATE_BV, ldq_le_p(x + XSAVE_HEADER_XSTATE_BV) | XSTATE_X87_SSE);
}

static int kvm_get_xsave(KVMVCPU *v)
{
    return kvm_vcpu_ioctl(v, v->s->xsave2 ? KVM_GET_XSAVE2 : KVM_GET_XSAVE, v->xsave);
}

/* ---- get / put ---- */

static void kvm_warn(KVMVCPU *v, const char *what)
{
    error_report("kvm: CPU %d: %s: %s", v->index, what, strerror(errno));
}

void kvm_x86_get_state(KVMVCPU *v)
{
    CPUX86State *env = v->env;
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_debugregs dbg;
    struct kvm_mp_state mp;

    if (kvm_vcpu_ioctl(v, KVM_GET_REGS, &regs) < 0) {
        kvm_warn(v, "KVM_GET_REGS");
        return;
    }
    env->regs[R_EAX] = regs.rax;
    env->regs[R_ECX] = regs.rcx;
    env->regs[R_EDX] = regs.rdx;
    env->regs[R_EBX] = regs.rbx;
    env->regs[R_ESP] = regs.rsp;
    env->regs[R_EBP] = regs.rbp;
    env->regs[R_ESI] = regs.rsi;
    env->regs[R_EDI] = regs.rdi;
    env->regs[R_R8] = regs.r8;
    env->regs[R_R9] = regs.r9;
    env->regs[R_R10] = regs.r10;
    env->regs[R_R11] = regs.r11;
    env->regs[R_R12] = regs.r12;
    env->regs[R_R13] = regs.r13;
    env->regs[R_R14] = regs.r14;
    env->regs[R_R15] = regs.r15;
    env->rip = regs.rip;
    x86_put_eflags(env, regs.rflags);

    if (kvm_vcpu_ioctl(v, KVM_GET_SREGS, &sregs) < 0) {
        kvm_warn(v, "KVM_GET_SREGS");
        return;
    }
    seg_from_kvm(&sregs.es, &env->segs[R_ES]);
    seg_from_kvm(&sregs.cs, &env->segs[R_CS]);
    seg_from_kvm(&sregs.ss, &env->segs[R_SS]);
    seg_from_kvm(&sregs.ds, &env->segs[R_DS]);
    seg_from_kvm(&sregs.fs, &env->segs[R_FS]);
    seg_from_kvm(&sregs.gs, &env->segs[R_GS]);
    seg_from_kvm(&sregs.ldt, &env->ldt);
    seg_from_kvm(&sregs.tr, &env->tr);
    env->gdt = (DescriptorTable){sregs.gdt.base, sregs.gdt.limit};
    env->idt = (DescriptorTable){sregs.idt.base, sregs.idt.limit};
    env->cr[0] = sregs.cr0;
    env->cr[2] = sregs.cr2;
    env->cr[3] = sregs.cr3;
    env->cr[4] = sregs.cr4;
    env->efer = sregs.efer;
    env->apic_base = sregs.apic_base;

    if (kvm_get_xsave(v) == 0) {
        fpu_from_xsave(env, v->xsave);
    } else {
        kvm_warn(v, "KVM_GET_XSAVE");
    }
    if (kvm_vcpu_ioctl(v, KVM_GET_XCRS, &v->xcrs) < 0) {
        kvm_warn(v, "KVM_GET_XCRS");
    }
    if (kvm_vcpu_ioctl(v, KVM_GET_DEBUGREGS, &dbg) == 0) {
        for (int i = 0; i < 4; i++) {
            env->dr[i] = dbg.db[i];
        }
        env->dr[6] = dbg.dr6;
        env->dr[7] = dbg.dr7;
    }

    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e[KVM_MAX_MSRS];
    } msrs = {.hdr.nmsrs = (uint32_t)v->s->nr_msrs};
    for (int i = 0; i < v->s->nr_msrs; i++) {
        msrs.e[i].index = v->s->msr_list[i];
    }
    int got = kvm_vcpu_ioctl(v, KVM_GET_MSRS, &msrs);
    for (int i = 0; i < got; i++) {
        uint64_t *field = msr_field(env, msrs.e[i].index);
        if (field) {
            *field = msrs.e[i].data;
        }
    }

    /*
     * The guest's TSC, kept as the DBT keeps it: an offset from the virtual clock, so a
     * reader of CPUX86State (the monitor, a snapshot) sees the value KVM's guest sees now.
     */
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e;
    } tsc = {.hdr.nmsrs = 1, .e.index = MSR_IA32_TSC};
    if (kvm_vcpu_ioctl(v, KVM_GET_MSRS, &tsc) == 1) {
        env->tsc_offset = tsc.e.data - (x86_cpu_get_tsc(env) - env->tsc_offset);
    }

    if (kvm_vcpu_ioctl(v, KVM_GET_MP_STATE, &mp) == 0) {
        env->wait_for_sipi = mp.mp_state == KVM_MP_STATE_INIT_RECEIVED;
        env->halted = mp.mp_state == KVM_MP_STATE_HALTED || env->wait_for_sipi;
    }
    x86_update_hflags(env);
}

/* A local APIC at its RESET values (SDM vol. 3A 10.4.7.1), with this vCPU's ID. */
static void kvm_reset_lapic(KVMVCPU *v)
{
    struct kvm_lapic_state lapic;
    uint32_t version;

    if (kvm_vcpu_ioctl(v, KVM_GET_LAPIC, &lapic) < 0) {
        kvm_warn(v, "KVM_GET_LAPIC");
        return;
    }
    version = ldl_le_p(lapic.regs + APIC_REG_VERSION);
    memset(lapic.regs, 0, sizeof(lapic.regs));
    stl_le_p(lapic.regs + APIC_REG_ID, (uint32_t)v->index << 24);
    stl_le_p(lapic.regs + APIC_REG_VERSION, version);
    stl_le_p(lapic.regs + APIC_REG_DFR, 0xffffffffu);
    stl_le_p(lapic.regs + APIC_REG_SVR, 0xff);
    for (unsigned off = APIC_REG_LVT_FIRST; off <= APIC_REG_LVT_LAST; off += 0x10) {
        if (off == APIC_REG_LVT_FIRST || off >= 0x320) {
            stl_le_p(lapic.regs + off, APIC_LVT_MASKED);
        }
    }
    if (kvm_vcpu_ioctl(v, KVM_SET_LAPIC, &lapic) < 0) {
        kvm_warn(v, "KVM_SET_LAPIC");
    }
}

void kvm_x86_put_state(KVMVCPU *v, bool reset)
{
    CPUX86State *env = v->env;
    struct kvm_regs regs = {
        .rax = env->regs[R_EAX], .rbx = env->regs[R_EBX], .rcx = env->regs[R_ECX],
        .rdx = env->regs[R_EDX], .rsi = env->regs[R_ESI], .rdi = env->regs[R_EDI],
        .rsp = env->regs[R_ESP], .rbp = env->regs[R_EBP], .r8 = env->regs[R_R8],
        .r9 = env->regs[R_R9], .r10 = env->regs[R_R10], .r11 = env->regs[R_R11],
        .r12 = env->regs[R_R12], .r13 = env->regs[R_R13], .r14 = env->regs[R_R14],
        .r15 = env->regs[R_R15], .rip = env->rip, .rflags = x86_get_eflags(env),
    };
    struct kvm_sregs sregs;
    struct kvm_debugregs dbg = {.dr6 = env->dr[6], .dr7 = env->dr[7]};

    /*
     * The APIC base first: at reset it re-enables the local APIC, which the
     * LAPIC register image below then fills.
     */
    if (kvm_vcpu_ioctl(v, KVM_GET_SREGS, &sregs) < 0) {
        kvm_warn(v, "KVM_GET_SREGS");
        return;
    }
    seg_to_kvm(&env->segs[R_ES], &sregs.es);
    seg_to_kvm(&env->segs[R_CS], &sregs.cs);
    seg_to_kvm(&env->segs[R_SS], &sregs.ss);
    seg_to_kvm(&env->segs[R_DS], &sregs.ds);
    seg_to_kvm(&env->segs[R_FS], &sregs.fs);
    seg_to_kvm(&env->segs[R_GS], &sregs.gs);
    seg_to_kvm(&env->ldt, &sregs.ldt);
    seg_to_kvm(&env->tr, &sregs.tr);
    sregs.gdt = (struct kvm_dtable){.base = env->gdt.base, .limit = (uint16_t)env->gdt.limit};
    sregs.idt = (struct kvm_dtable){.base = env->idt.base, .limit = (uint16_t)env->idt.limit};
    sregs.cr0 = env->cr[0];
    sregs.cr2 = env->cr[2];
    sregs.cr3 = env->cr[3];
    sregs.cr4 = env->cr[4];
    sregs.efer = env->efer;
    sregs.apic_base = env->apic_base;
    if (reset) {
        sregs.cr8 = 0;
        memset(sregs.interrupt_bitmap, 0, sizeof(sregs.interrupt_bitmap));
    }
    if (kvm_vcpu_ioctl(v, KVM_SET_SREGS, &sregs) < 0) {
        kvm_warn(v, "KVM_SET_SREGS");
    }
    if (kvm_vcpu_ioctl(v, KVM_SET_REGS, &regs) < 0) {
        kvm_warn(v, "KVM_SET_REGS");
    }

    if (reset) {
        /* RESET puts every XSAVE component in its init state, XCR0 = x87 only. */
        memset(v->xsave, 0, v->s->xsave_size);
        v->xcrs = (struct kvm_xcrs){.nr_xcrs = 1, .xcrs[0] = {.xcr = 0, .value = 1}};
    } else if (kvm_get_xsave(v) < 0) {
        kvm_warn(v, "KVM_GET_XSAVE");
    }
    fpu_to_xsave(env, v->xsave);
    if (kvm_vcpu_ioctl(v, KVM_SET_XSAVE, v->xsave) < 0) {
        kvm_warn(v, "KVM_SET_XSAVE");
    }
    if (reset && kvm_vcpu_ioctl(v, KVM_SET_XCRS, &v->xcrs) < 0) {
        kvm_warn(v, "KVM_SET_XCRS");
    }
    for (int i = 0; i < 4; i++) {
        dbg.db[i] = env->dr[i];
    }
    if (kvm_vcpu_ioctl(v, KVM_SET_DEBUGREGS, &dbg) < 0) {
        kvm_warn(v, "KVM_SET_DEBUGREGS");
    }

    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e[KVM_MAX_MSRS + 1];
    } msrs;
    uint32_t n = 0;
    memset(&msrs, 0, sizeof(msrs));
    for (int i = 0; i < v->s->nr_msrs; i++) {
        uint64_t *field = msr_field(env, v->s->msr_list[i]);
        if (field) {
            msrs.e[n].index = v->s->msr_list[i];
            msrs.e[n++].data = *field;
        }
    }
    if (reset) {
        msrs.e[n].index = MSR_IA32_TSC;
        msrs.e[n++].data = 0;
    }
    msrs.hdr.nmsrs = n;
    int set = kvm_vcpu_ioctl(v, KVM_SET_MSRS, &msrs);
    if (set >= 0 && (uint32_t)set < n) {
        log_mask(LOG_UNIMP, "kvm: CPU %d: KVM refused MSR %#x\n", v->index,
                 msrs.e[set].index);
    }

    if (reset) {
        kvm_reset_lapic(v);
        struct kvm_mp_state mp = {
            .mp_state = env->wait_for_sipi ? KVM_MP_STATE_INIT_RECEIVED : KVM_MP_STATE_RUNNABLE,
        };
        if (kvm_vcpu_ioctl(v, KVM_SET_MP_STATE, &mp) < 0) {
            kvm_warn(v, "KVM_SET_MP_STATE");
        }
        struct kvm_vcpu_events ev;
        if (kvm_vcpu_ioctl(v, KVM_GET_VCPU_EVENTS, &ev) == 0) {
            /* Nothing pending survives RESET. */
            memset(&ev.exception, 0, sizeof(ev.exception));
            memset(&ev.interrupt, 0, sizeof(ev.interrupt));
            ev.nmi.injected = ev.nmi.pending = ev.nmi.masked = 0;
            ev.flags = 0;
            kvm_vcpu_ioctl(v, KVM_SET_VCPU_EVENTS, &ev);
        }
    }
}

void kvm_x86_reset_irqchip(KVMState *s)
{
    for (uint32_t chip = KVM_IRQCHIP_PIC_MASTER; chip <= KVM_IRQCHIP_IOAPIC; chip++) {
        struct kvm_irqchip ic = {.chip_id = chip};
        if (kvm_vm_ioctl(s, KVM_GET_IRQCHIP, &ic) < 0) {
            error_report("kvm: KVM_GET_IRQCHIP %u: %s", chip, strerror(errno));
            continue;
        }
        if (chip == KVM_IRQCHIP_IOAPIC) {
            struct kvm_ioapic_state *io = &ic.chip.ioapic;
            uint64_t base = io->base_address;
            memset(io, 0, sizeof(*io));
            io->base_address = base;
            io->id = s->ioapic_id;
            for (int i = 0; i < KVM_IOAPIC_NUM_PINS; i++) {
                io->redirtbl[i].bits = 1ULL << 16; /* masked */
            }
        } else {
            struct kvm_pic_state *pic = &ic.chip.pic;
            memset(pic, 0, sizeof(*pic));
            /* ELCR: IRQ 0, 1, 2, 8 and 13 can only be edge-triggered. */
            pic->elcr_mask = chip == KVM_IRQCHIP_PIC_MASTER ? 0xf8 : 0xde;
        }
        if (kvm_vm_ioctl(s, KVM_SET_IRQCHIP, &ic) < 0) {
            error_report("kvm: KVM_SET_IRQCHIP %u: %s", chip, strerror(errno));
        }
    }
}
