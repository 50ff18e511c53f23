/*
 * lib.a: wanted only by inline assembly in main.c. Under LTO the bitcode's
 * symbol table does not show that, so lld loads this member after LTO, for
 * the native code (as the kernel's arch/x86/lib/getuser.o).
 */
	.text
	.globl twin_asm_fn
	.type twin_asm_fn, @function
twin_asm_fn:
	ret
	.size twin_asm_fn, . - twin_asm_fn
	.section .note.GNU-stack, "", @progbits
