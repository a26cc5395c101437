// Thin access to V4L2 for Swift: the VIDIOC_* request codes and fourcc values are macros that
// do not import, and libv4l2's ioctl must be retried on EINTR.
#ifndef OCCLUMESH_CV4L2_H
#define OCCLUMESH_CV4L2_H

#include <stdint.h>
#include <stddef.h>
#include <linux/videodev2.h>

extern const unsigned long occlumesh_vidioc_querycap;
extern const unsigned long occlumesh_vidioc_enum_fmt;
extern const unsigned long occlumesh_vidioc_enum_framesizes;
extern const unsigned long occlumesh_vidioc_enum_frameintervals;
extern const unsigned long occlumesh_vidioc_s_fmt;
extern const unsigned long occlumesh_vidioc_g_fmt;
extern const unsigned long occlumesh_vidioc_s_parm;
extern const unsigned long occlumesh_vidioc_reqbufs;
extern const unsigned long occlumesh_vidioc_querybuf;
extern const unsigned long occlumesh_vidioc_qbuf;
extern const unsigned long occlumesh_vidioc_dqbuf;
extern const unsigned long occlumesh_vidioc_streamon;
extern const unsigned long occlumesh_vidioc_streamoff;

extern const uint32_t occlumesh_pix_fmt_mjpeg;
extern const uint32_t occlumesh_pix_fmt_yuyv;
extern const uint32_t occlumesh_pix_fmt_nv12;

/// Opens a V4L2 device (O_RDWR | O_NONBLOCK | O_CLOEXEC) and hands it to libv4l2; returns -1 and sets errno
/// on failure (ENOTTY or EINVAL when the file is not a V4L2 device).
int occlumesh_v4l2_open(const char *path);
/// Closes a descriptor opened with occlumesh_v4l2_open.
int occlumesh_v4l2_close(int fd);
/// v4l2_ioctl, retried while it fails with EINTR; returns -1 and sets errno on failure.
int occlumesh_v4l2_ioctl(int fd, unsigned long request, void *argument);
/// v4l2_mmap of one streaming buffer, read-only and shared; returns NULL on failure.
void *occlumesh_v4l2_mmap(int fd, size_t length, int64_t offset);
/// v4l2_munmap of a buffer mapped with occlumesh_v4l2_mmap.
int occlumesh_v4l2_munmap(void *address, size_t length);
/// Waits up to timeoutMilliseconds for the device to have a frame; 1 ready, 0 timeout, -1 error (errno set).
int occlumesh_v4l2_wait_readable(int fd, int timeoutMilliseconds);

#endif
