/*
 * EFLAGS bit values and the flag-set names used by the fr/fw/fu columns of
 * cpu/x86/insn.def.  A set is named by its letters from OSZAPC in that
 * order (X86_FL_OSZ = OF|SF|ZF); every such name exists, so a table row
 * can spell any subset.  Bits per SDM Vol. 1, 3.4.3 (EFLAGS register).
 */
#ifndef CPU_X86_DECODE_FLAGS_H
#define CPU_X86_DECODE_FLAGS_H

#define X86_EFL_CF   0x000001u
#define X86_EFL_PF   0x000004u
#define X86_EFL_AF   0x000010u
#define X86_EFL_ZF   0x000040u
#define X86_EFL_SF   0x000080u
#define X86_EFL_TF   0x000100u
#define X86_EFL_IF   0x000200u
#define X86_EFL_DF   0x000400u
#define X86_EFL_OF   0x000800u
#define X86_EFL_IOPL 0x003000u
#define X86_EFL_NT   0x004000u
#define X86_EFL_RF   0x010000u
#define X86_EFL_VM   0x020000u
#define X86_EFL_AC   0x040000u
#define X86_EFL_VIF  0x080000u
#define X86_EFL_VIP  0x100000u
#define X86_EFL_ID   0x200000u
#define X86_EFL_STATUS (X86_EFL_CF | X86_EFL_PF | X86_EFL_AF | X86_EFL_ZF | X86_EFL_SF | \
                        X86_EFL_OF)

/* Sets that are not subsets of OSZAPC. */
#define X86_FL__      0u
#define X86_FL_ALL    0x3f7fd5u     /* every defined EFLAGS bit (POPF, IRET, ...) */
#define X86_FL_D      X86_EFL_DF
#define X86_FL_I      X86_EFL_IF
#define X86_FL_ac     X86_EFL_AC

/* Single status flags. */
#define X86_FL_O      X86_EFL_OF
#define X86_FL_S      X86_EFL_SF
#define X86_FL_Z      X86_EFL_ZF
#define X86_FL_A      X86_EFL_AF
#define X86_FL_P      X86_EFL_PF
#define X86_FL_C      X86_EFL_CF

/* Every subset of OSZAPC with two or more letters. */
#define X86_FL_PC (X86_FL_P | X86_FL_C)
#define X86_FL_AC (X86_FL_A | X86_FL_C)
#define X86_FL_AP (X86_FL_A | X86_FL_P)
#define X86_FL_APC (X86_FL_A | X86_FL_P | X86_FL_C)
#define X86_FL_ZC (X86_FL_Z | X86_FL_C)
#define X86_FL_ZP (X86_FL_Z | X86_FL_P)
#define X86_FL_ZPC (X86_FL_Z | X86_FL_P | X86_FL_C)
#define X86_FL_ZA (X86_FL_Z | X86_FL_A)
#define X86_FL_ZAC (X86_FL_Z | X86_FL_A | X86_FL_C)
#define X86_FL_ZAP (X86_FL_Z | X86_FL_A | X86_FL_P)
#define X86_FL_ZAPC (X86_FL_Z | X86_FL_A | X86_FL_P | X86_FL_C)
#define X86_FL_SC (X86_FL_S | X86_FL_C)
#define X86_FL_SP (X86_FL_S | X86_FL_P)
#define X86_FL_SPC (X86_FL_S | X86_FL_P | X86_FL_C)
#define X86_FL_SA (X86_FL_S | X86_FL_A)
#define X86_FL_SAC (X86_FL_S | X86_FL_A | X86_FL_C)
#define X86_FL_SAP (X86_FL_S | X86_FL_A | X86_FL_P)
#define X86_FL_SAPC (X86_FL_S | X86_FL_A | X86_FL_P | X86_FL_C)
#define X86_FL_SZ (X86_FL_S | X86_FL_Z)
#define X86_FL_SZC (X86_FL_S | X86_FL_Z | X86_FL_C)
#define X86_FL_SZP (X86_FL_S | X86_FL_Z | X86_FL_P)
#define X86_FL_SZPC (X86_FL_S | X86_FL_Z | X86_FL_P | X86_FL_C)
#define X86_FL_SZA (X86_FL_S | X86_FL_Z | X86_FL_A)
#define X86_FL_SZAC (X86_FL_S | X86_FL_Z | X86_FL_A | X86_FL_C)
#define X86_FL_SZAP (X86_FL_S | X86_FL_Z | X86_FL_A | X86_FL_P)
#define X86_FL_SZAPC (X86_FL_S | X86_FL_Z | X86_FL_A | X86_FL_P | X86_FL_C)
#define X86_FL_OC (X86_FL_O | X86_FL_C)
#define X86_FL_OP (X86_FL_O | X86_FL_P)
#define X86_FL_OPC (X86_FL_O | X86_FL_P | X86_FL_C)
#define X86_FL_OA (X86_FL_O | X86_FL_A)
#define X86_FL_OAC (X86_FL_O | X86_FL_A | X86_FL_C)
#define X86_FL_OAP (X86_FL_O | X86_FL_A | X86_FL_P)
#define X86_FL_OAPC (X86_FL_O | X86_FL_A | X86_FL_P | X86_FL_C)
#define X86_FL_OZ (X86_FL_O | X86_FL_Z)
#define X86_FL_OZC (X86_FL_O | X86_FL_Z | X86_FL_C)
#define X86_FL_OZP (X86_FL_O | X86_FL_Z | X86_FL_P)
#define X86_FL_OZPC (X86_FL_O | X86_FL_Z | X86_FL_P | X86_FL_C)
#define X86_FL_OZA (X86_FL_O | X86_FL_Z | X86_FL_A)
#define X86_FL_OZAC (X86_FL_O | X86_FL_Z | X86_FL_A | X86_FL_C)
#define X86_FL_OZAP (X86_FL_O | X86_FL_Z | X86_FL_A | X86_FL_P)
#define X86_FL_OZAPC (X86_FL_O | X86_FL_Z | X86_FL_A | X86_FL_P | X86_FL_C)
#define X86_FL_OS (X86_FL_O | X86_FL_S)
#define X86_FL_OSC (X86_FL_O | X86_FL_S | X86_FL_C)
#define X86_FL_OSP (X86_FL_O | X86_FL_S | X86_FL_P)
#define X86_FL_OSPC (X86_FL_O | X86_FL_S | X86_FL_P | X86_FL_C)
#define X86_FL_OSA (X86_FL_O | X86_FL_S | X86_FL_A)
#define X86_FL_OSAC (X86_FL_O | X86_FL_S | X86_FL_A | X86_FL_C)
#define X86_FL_OSAP (X86_FL_O | X86_FL_S | X86_FL_A | X86_FL_P)
#define X86_FL_OSAPC (X86_FL_O | X86_FL_S | X86_FL_A | X86_FL_P | X86_FL_C)
#define X86_FL_OSZ (X86_FL_O | X86_FL_S | X86_FL_Z)
#define X86_FL_OSZC (X86_FL_O | X86_FL_S | X86_FL_Z | X86_FL_C)
#define X86_FL_OSZP (X86_FL_O | X86_FL_S | X86_FL_Z | X86_FL_P)
#define X86_FL_OSZPC (X86_FL_O | X86_FL_S | X86_FL_Z | X86_FL_P | X86_FL_C)
#define X86_FL_OSZA (X86_FL_O | X86_FL_S | X86_FL_Z | X86_FL_A)
#define X86_FL_OSZAC (X86_FL_O | X86_FL_S | X86_FL_Z | X86_FL_A | X86_FL_C)
#define X86_FL_OSZAP (X86_FL_O | X86_FL_S | X86_FL_Z | X86_FL_A | X86_FL_P)
#define X86_FL_OSZAPC (X86_FL_O | X86_FL_S | X86_FL_Z | X86_FL_A | X86_FL_P | X86_FL_C)

#endif
