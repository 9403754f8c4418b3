#include "heap_info.h"

#include <stdlib.h> /* defines __GLIBC__ where glibc is the C library */

#if defined(__GLIBC__)
#include <malloc.h>
#endif

/// Reads the heap figures (glibc `mallinfo2`, summed over every arena).
heap_info heap_info_read(void) {
    heap_info info = {0, 0, 0, 0};
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 m = mallinfo2();
    info.in_use = m.uordblks + m.hblkhd;
    info.free = m.fordblks;
    info.arena = m.arena;
    info.mmapped = m.hblkhd;
#endif
    return info;
}

/// Returns free heap memory to the system where the C library can.
int heap_info_trim(void) {
#if defined(__GLIBC__)
    return malloc_trim(0);
#else
    return 0;
#endif
}
