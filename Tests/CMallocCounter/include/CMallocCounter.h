#ifndef CMALLOCCOUNTER_H
#define CMALLOCCOUNTER_H
#include <stddef.h>
/// Number of malloc/calloc/realloc/aligned allocations made by the calling thread since start.
/// The test binary's own malloc family wraps glibc's, so this counts every heap allocation of the thread.
size_t cmalloccounter_thread_allocations(void);
#endif
