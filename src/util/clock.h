/*
 * clock.h - the time, for durations (monotonic) and for logs (wall clock).
 */
#ifndef SP_UTIL_CLOCK_H
#define SP_UTIL_CLOCK_H

#include <stdint.h>

/* A monotonic clock in microseconds and in milliseconds: for durations. */
int64_t sp_clock_us(void);
int64_t sp_clock_ms(void);

/* The wall clock in milliseconds since the epoch: for timestamps. */
int64_t sp_wall_ms(void);

/* Sleeps ms milliseconds (the whole time, signals or not). */
void sp_sleep_ms(int64_t ms);

#endif
