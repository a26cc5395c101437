// Thin helpers for the parts of the FFmpeg headers that Swift cannot import: function-like
// macros (AVERROR, av_err2str) and macro constants built from expressions.
#ifndef OCCLUMESH_CFFMPEG_SHIM_H
#define OCCLUMESH_CFFMPEG_SHIM_H

#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <errno.h>

static inline int occlumesh_averror(int posixError) { return AVERROR(posixError); }
static inline int occlumesh_averror_eof(void) { return AVERROR_EOF; }
static inline int occlumesh_averror_exit(void) { return AVERROR_EXIT; }
static inline int occlumesh_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int occlumesh_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int occlumesh_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }
static inline int occlumesh_averror_stream_not_found(void) { return AVERROR_STREAM_NOT_FOUND; }
static inline int64_t occlumesh_av_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline int occlumesh_av_time_base(void) { return AV_TIME_BASE; }

/// Writes FFmpeg's description of `errorCode` into `buffer` (what av_err2str does with a compound literal).
static inline void occlumesh_av_error_string(int errorCode, char *buffer, size_t size) {
    av_strerror(errorCode, buffer, size);
}

#endif
