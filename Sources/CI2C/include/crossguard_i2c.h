/*
 * crossguard_i2c.h - the only C interface CrossguardLinux sees for I2C.
 *
 * A thin shim over the kernel's i2c-dev (/dev/i2c-N) and libi2c's SMBus calls (apt libi2c-dev,
 * <i2c/smbus.h>, -li2c). It exists because ioctl and open are variadic in C, which Swift does not
 * import, and because libi2c's types (__u8, union i2c_smbus_data) should not reach Swift. No libi2c
 * or kernel type appears here.
 *
 * Conventions:
 *  - Every function returns 0 (or the documented non-negative value) on success and -errno on
 *    failure; it never prints and keeps no global state.
 *  - Addresses are 7-bit, right-aligned (0x29, never 0x52). The address is chosen with I2C_SLAVE,
 *    never I2C_SLAVE_FORCE: an address a kernel driver owns is refused with -EBUSY, not stolen.
 *  - SMBus words are little-endian on the wire: the low byte is sent and received first.
 *  - One fd must not be used from two threads at once (the selected address is per fd).
 */
#ifndef CROSSGUARD_I2C_H
#define CROSSGUARD_I2C_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most bytes in one I2C block transfer (I2C_SMBUS_BLOCK_MAX). */
#define CG_I2C_BLOCK_MAX 32

/* The adapter capabilities (I2C_FUNCS bits, <linux/i2c.h>) the SMBus calls below need; the .c file
 * checks at compile time that they equal the kernel's. `UL` so Swift imports them as UInt, the type
 * of cg_i2c_functionality's mask. */
#define CG_I2C_FUNC_SMBUS_WRITE_BYTE      0x00040000UL /**< cg_i2c_write_byte */
#define CG_I2C_FUNC_SMBUS_READ_BYTE_DATA  0x00080000UL /**< cg_i2c_read_byte_data */
#define CG_I2C_FUNC_SMBUS_WRITE_BYTE_DATA 0x00100000UL /**< cg_i2c_write_byte_data */
#define CG_I2C_FUNC_SMBUS_READ_WORD_DATA  0x00200000UL /**< cg_i2c_read_word_data */
#define CG_I2C_FUNC_SMBUS_WRITE_WORD_DATA 0x00400000UL /**< cg_i2c_write_word_data */
#define CG_I2C_FUNC_SMBUS_READ_I2C_BLOCK  0x04000000UL /**< cg_i2c_read_block */
#define CG_I2C_FUNC_SMBUS_WRITE_I2C_BLOCK 0x08000000UL /**< cg_i2c_write_block */

/**
 * libi2c's API version this shim was compiled against (I2C_API_VERSION, 0x100 for i2c-tools 4.x),
 * 0 when built without <i2c/smbus.h>; then every other function fails with -ENOSYS.
 */
int cg_i2c_api_version(void);

/** Opens an i2c-dev node such as "/dev/i2c-1" read-write, close-on-exec. Returns the fd or -errno. */
int cg_i2c_open(const char *path);

/** Closes an fd from cg_i2c_open. 0 or -errno. */
int cg_i2c_close(int fd);

/** The adapter's capability mask (ioctl I2C_FUNCS) into *funcs. 0 or -errno. */
int cg_i2c_functionality(int fd, unsigned long *funcs);

/**
 * Makes `address` (0x00-0x7f) the target of this fd's later transfers (ioctl I2C_SLAVE).
 * 0, or -EBUSY (a kernel driver is bound to that address), -EINVAL (not a 7-bit address), -errno.
 * The kernel checks for a bound driver only here: a driver bound later is not noticed by an fd
 * that keeps its address.
 */
int cg_i2c_select(int fd, unsigned address);

/** SMBus "send byte" (i2c_smbus_write_byte): one command byte. 0 or -errno. */
int cg_i2c_write_byte(int fd, uint8_t value);

/** SMBus "write byte data" (i2c_smbus_write_byte_data). 0 or -errno. */
int cg_i2c_write_byte_data(int fd, uint8_t reg, uint8_t value);

/** SMBus "read byte data" (i2c_smbus_read_byte_data). The byte (0-255) or -errno. */
int cg_i2c_read_byte_data(int fd, uint8_t reg);

/** SMBus "write word data" (i2c_smbus_write_word_data): value's low byte goes first. 0 or -errno. */
int cg_i2c_write_word_data(int fd, uint8_t reg, uint16_t value);

/** SMBus "read word data" (i2c_smbus_read_word_data): the word (0-65535), first byte received in
 *  its low 8 bits, or -errno. */
int cg_i2c_read_word_data(int fd, uint8_t reg);

/** I2C block write (i2c_smbus_write_i2c_block_data): reg, then count (1...CG_I2C_BLOCK_MAX) bytes,
 *  in one transfer. 0, -EINVAL for a bad count, or -errno. */
int cg_i2c_write_block(int fd, uint8_t reg, const uint8_t *bytes, size_t count);

/** I2C block read (i2c_smbus_read_i2c_block_data): up to count (1...CG_I2C_BLOCK_MAX) bytes from reg
 *  on into bytes. The number of bytes read (the adapter may return fewer), -EINVAL for a bad count,
 *  or -errno. */
int cg_i2c_read_block(int fd, uint8_t reg, uint8_t *bytes, size_t count);

#ifdef __cplusplus
}
#endif

#endif /* CROSSGUARD_I2C_H */
