/*
 * crossguard_i2c.c - i2c-dev and libi2c shim behind crossguard_i2c.h.
 *
 * The SMBus calls go through libi2c (i2c-tools' lib/smbus.c: each one ioctl(I2C_SMBUS), returning
 * -errno on failure). Without <i2c/smbus.h> every call fails with ENOSYS, so the package still
 * compiles on machines without libi2c-dev (linking still needs -li2c: apt libi2c-dev).
 */
#if !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include "crossguard_i2c.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<i2c/smbus.h>)
#define CG_HAVE_LIBI2C 1
#else
#define CG_HAVE_LIBI2C 0
#endif
#else
#define CG_HAVE_LIBI2C 1
#endif

#if CG_HAVE_LIBI2C
#include <i2c/smbus.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>

_Static_assert(CG_I2C_BLOCK_MAX == I2C_SMBUS_BLOCK_MAX, "I2C_SMBUS_BLOCK_MAX");
_Static_assert(CG_I2C_FUNC_SMBUS_WRITE_BYTE == I2C_FUNC_SMBUS_WRITE_BYTE, "I2C_FUNC_SMBUS_WRITE_BYTE");
_Static_assert(CG_I2C_FUNC_SMBUS_READ_BYTE_DATA == I2C_FUNC_SMBUS_READ_BYTE_DATA, "I2C_FUNC_SMBUS_READ_BYTE_DATA");
_Static_assert(CG_I2C_FUNC_SMBUS_WRITE_BYTE_DATA == I2C_FUNC_SMBUS_WRITE_BYTE_DATA, "I2C_FUNC_SMBUS_WRITE_BYTE_DATA");
_Static_assert(CG_I2C_FUNC_SMBUS_READ_WORD_DATA == I2C_FUNC_SMBUS_READ_WORD_DATA, "I2C_FUNC_SMBUS_READ_WORD_DATA");
_Static_assert(CG_I2C_FUNC_SMBUS_WRITE_WORD_DATA == I2C_FUNC_SMBUS_WRITE_WORD_DATA, "I2C_FUNC_SMBUS_WRITE_WORD_DATA");
_Static_assert(CG_I2C_FUNC_SMBUS_READ_I2C_BLOCK == I2C_FUNC_SMBUS_READ_I2C_BLOCK, "I2C_FUNC_SMBUS_READ_I2C_BLOCK");
_Static_assert(CG_I2C_FUNC_SMBUS_WRITE_I2C_BLOCK == I2C_FUNC_SMBUS_WRITE_I2C_BLOCK, "I2C_FUNC_SMBUS_WRITE_I2C_BLOCK");

int cg_i2c_api_version(void) { return I2C_API_VERSION; }

int cg_i2c_open(const char *path) {
    if (path == NULL) return -EINVAL;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    return fd >= 0 ? fd : -errno;
}

int cg_i2c_close(int fd) { return close(fd) == 0 ? 0 : -errno; }

int cg_i2c_functionality(int fd, unsigned long *funcs) {
    if (funcs == NULL) return -EINVAL;
    return ioctl(fd, I2C_FUNCS, funcs) == 0 ? 0 : -errno;
}

int cg_i2c_select(int fd, unsigned address) {
    if (address > 0x7f) return -EINVAL;
    /* I2C_SLAVE takes the address as the argument itself, not a pointer to it. */
    return ioctl(fd, I2C_SLAVE, (unsigned long)address) == 0 ? 0 : -errno;
}

int cg_i2c_write_byte(int fd, uint8_t value) { return i2c_smbus_write_byte(fd, value); }

int cg_i2c_write_byte_data(int fd, uint8_t reg, uint8_t value) {
    return i2c_smbus_write_byte_data(fd, reg, value);
}

int cg_i2c_read_byte_data(int fd, uint8_t reg) { return i2c_smbus_read_byte_data(fd, reg); }

int cg_i2c_write_word_data(int fd, uint8_t reg, uint16_t value) {
    return i2c_smbus_write_word_data(fd, reg, value);
}

int cg_i2c_read_word_data(int fd, uint8_t reg) { return i2c_smbus_read_word_data(fd, reg); }

int cg_i2c_write_block(int fd, uint8_t reg, const uint8_t *bytes, size_t count) {
    if (bytes == NULL || count == 0 || count > CG_I2C_BLOCK_MAX) return -EINVAL;
    return i2c_smbus_write_i2c_block_data(fd, reg, (__u8)count, bytes);
}

int cg_i2c_read_block(int fd, uint8_t reg, uint8_t *bytes, size_t count) {
    if (bytes == NULL || count == 0 || count > CG_I2C_BLOCK_MAX) return -EINVAL;
    return i2c_smbus_read_i2c_block_data(fd, reg, (__u8)count, bytes);
}

#else /* !CG_HAVE_LIBI2C */

int cg_i2c_api_version(void) { return 0; }
int cg_i2c_open(const char *path) { (void)path; return -ENOSYS; }
int cg_i2c_close(int fd) { return close(fd) == 0 ? 0 : -errno; }
int cg_i2c_functionality(int fd, unsigned long *funcs) { (void)fd; (void)funcs; return -ENOSYS; }
int cg_i2c_select(int fd, unsigned address) { (void)fd; (void)address; return -ENOSYS; }
int cg_i2c_write_byte(int fd, uint8_t value) { (void)fd; (void)value; return -ENOSYS; }
int cg_i2c_write_byte_data(int fd, uint8_t reg, uint8_t value) { (void)fd; (void)reg; (void)value; return -ENOSYS; }
int cg_i2c_read_byte_data(int fd, uint8_t reg) { (void)fd; (void)reg; return -ENOSYS; }
int cg_i2c_write_word_data(int fd, uint8_t reg, uint16_t value) { (void)fd; (void)reg; (void)value; return -ENOSYS; }
int cg_i2c_read_word_data(int fd, uint8_t reg) { (void)fd; (void)reg; return -ENOSYS; }
int cg_i2c_write_block(int fd, uint8_t reg, const uint8_t *bytes, size_t count) {
    (void)fd; (void)reg; (void)bytes; (void)count; return -ENOSYS;
}
int cg_i2c_read_block(int fd, uint8_t reg, uint8_t *bytes, size_t count) {
    (void)fd; (void)reg; (void)bytes; (void)count; return -ENOSYS;
}

#endif
