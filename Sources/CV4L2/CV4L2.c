#include "CV4L2.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <libv4l2.h>

const unsigned long occlumesh_vidioc_querycap = VIDIOC_QUERYCAP;
const unsigned long occlumesh_vidioc_enum_fmt = VIDIOC_ENUM_FMT;
const unsigned long occlumesh_vidioc_enum_framesizes = VIDIOC_ENUM_FRAMESIZES;
const unsigned long occlumesh_vidioc_enum_frameintervals = VIDIOC_ENUM_FRAMEINTERVALS;
const unsigned long occlumesh_vidioc_s_fmt = VIDIOC_S_FMT;
const unsigned long occlumesh_vidioc_g_fmt = VIDIOC_G_FMT;
const unsigned long occlumesh_vidioc_s_parm = VIDIOC_S_PARM;
const unsigned long occlumesh_vidioc_reqbufs = VIDIOC_REQBUFS;
const unsigned long occlumesh_vidioc_querybuf = VIDIOC_QUERYBUF;
const unsigned long occlumesh_vidioc_qbuf = VIDIOC_QBUF;
const unsigned long occlumesh_vidioc_dqbuf = VIDIOC_DQBUF;
const unsigned long occlumesh_vidioc_streamon = VIDIOC_STREAMON;
const unsigned long occlumesh_vidioc_streamoff = VIDIOC_STREAMOFF;

const uint32_t occlumesh_pix_fmt_mjpeg = V4L2_PIX_FMT_MJPEG;
const uint32_t occlumesh_pix_fmt_yuyv = V4L2_PIX_FMT_YUYV;
const uint32_t occlumesh_pix_fmt_nv12 = V4L2_PIX_FMT_NV12;

int occlumesh_v4l2_open(const char *path) {
    // Ask the kernel first: libv4l2 prints to stderr when a file is not a V4L2 device.
    int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd == -1) return -1;
    struct v4l2_capability capability;
    int result;
    do {
        result = ioctl(fd, VIDIOC_QUERYCAP, &capability);
    } while (result == -1 && errno == EINTR);
    if (result == -1) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    int wrapped = v4l2_fd_open(fd, 0);
    if (wrapped == -1) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    return wrapped;
}

int occlumesh_v4l2_close(int fd) {
    return v4l2_close(fd);
}

int occlumesh_v4l2_ioctl(int fd, unsigned long request, void *argument) {
    int result;
    do {
        result = v4l2_ioctl(fd, request, argument);
    } while (result == -1 && errno == EINTR);
    return result;
}

void *occlumesh_v4l2_mmap(int fd, size_t length, int64_t offset) {
    void *address = v4l2_mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)offset);
    return address == MAP_FAILED ? NULL : address;
}

int occlumesh_v4l2_munmap(void *address, size_t length) {
    return v4l2_munmap(address, length);
}

int occlumesh_v4l2_wait_readable(int fd, int timeoutMilliseconds) {
    struct pollfd descriptor = { .fd = fd, .events = POLLIN, .revents = 0 };
    int result;
    do {
        result = poll(&descriptor, 1, timeoutMilliseconds);
    } while (result == -1 && errno == EINTR);
    if (result > 0 && (descriptor.revents & (POLLERR | POLLHUP | POLLNVAL))) {
        errno = (descriptor.revents & POLLNVAL) ? EBADF : ENODEV;
        return -1;
    }
    return result;
}
