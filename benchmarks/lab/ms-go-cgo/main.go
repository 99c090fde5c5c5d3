// checksum prints the Adler-32 of its arguments, computed by a C function through
// cgo, and the C library it runs on: the binary links glibc dynamically, so its
// runtime image must have the build's glibc (or a newer one).
package main

/*
#include <gnu/libc-version.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static uint32_t adler32(const char *data, size_t length) {
	uint32_t a = 1, b = 0;
	for (size_t i = 0; i < length; i++) {
		a = (a + (unsigned char)data[i]) % 65521;
		b = (b + a) % 65521;
	}
	return (b << 16) | a;
}
*/
import "C"

import (
	"fmt"
	"os"
	"strings"
	"unsafe"
)

func main() {
	text := "Wikipedia"
	if len(os.Args) > 1 {
		text = strings.Join(os.Args[1:], " ")
	}
	data := C.CString(text)
	defer C.free(unsafe.Pointer(data))
	fmt.Printf("adler32(%q) = %08x\n", text, uint32(C.adler32(data, C.size_t(len(text)))))
	fmt.Printf("C library: glibc %s\n", C.GoString(C.gnu_get_libc_version()))
}
