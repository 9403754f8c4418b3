#ifndef HEAP_INFO_H
#define HEAP_INFO_H

#include <stddef.h>

/// The C library's heap figures, in bytes; every field is 0 where they are not available.
typedef struct heap_info {
    /// Bytes handed out by malloc and not yet freed (small chunks plus mmapped blocks).
    size_t in_use;
    /// Free bytes the allocator keeps in its arenas.
    size_t free;
    /// Bytes of the arenas obtained from the system with sbrk/mmap (not counting mmapped blocks).
    size_t arena;
    /// Bytes in blocks mmapped on their own (large allocations).
    size_t mmapped;
} heap_info;

/// Reads the heap figures (glibc `mallinfo2`, summed over every arena).
heap_info heap_info_read(void);

/// Returns free heap memory to the system where the C library can (glibc `malloc_trim(0)`);
/// returns whether any was released.
int heap_info_trim(void);

#endif
