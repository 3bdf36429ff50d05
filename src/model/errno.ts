/**
 * Error numbers (include/uapi/asm-generic/errno-base.h and errno.h, the same on every kernel
 * version) and the texts glibc's strerror() prints for them. System calls return `-errno`.
 */
export const EPERM = 1;
export const EINTR = 4;
export const EIO = 5;
export const EBADF = 9;
export const EAGAIN = 11;
export const EFAULT = 14;
export const EINVAL = 22;
export const EPIPE = 32;
export const ENOTSOCK = 88;
export const EOPNOTSUPP = 95;
export const EADDRINUSE = 98;
export const EADDRNOTAVAIL = 99;
export const ECONNRESET = 104;
export const EISCONN = 106;
export const ENOTCONN = 107;
export const ETIMEDOUT = 110;
export const ECONNREFUSED = 111;
export const EALREADY = 114;
export const EINPROGRESS = 115;

export const ERRNO_NAMES: Record<number, string> = {
  1: 'EPERM', 4: 'EINTR', 5: 'EIO', 9: 'EBADF', 11: 'EAGAIN', 14: 'EFAULT', 22: 'EINVAL', 32: 'EPIPE', 88: 'ENOTSOCK',
  95: 'EOPNOTSUPP', 98: 'EADDRINUSE', 99: 'EADDRNOTAVAIL', 104: 'ECONNRESET', 106: 'EISCONN', 107: 'ENOTCONN',
  110: 'ETIMEDOUT', 111: 'ECONNREFUSED', 114: 'EALREADY', 115: 'EINPROGRESS',
};
/** strerror() texts glibc prints. */
export const STRERROR: Record<number, string> = {
  4: 'Interrupted system call', 5: 'Input/output error', 9: 'Bad file descriptor', 11: 'Resource temporarily unavailable',
  22: 'Invalid argument', 32: 'Broken pipe', 98: 'Address already in use', 99: 'Cannot assign requested address',
  104: 'Connection reset by peer', 106: 'Transport endpoint is already connected',
  107: 'Transport endpoint is not connected', 110: 'Connection timed out', 111: 'Connection refused',
  114: 'Operation already in progress', 115: 'Operation now in progress',
};
