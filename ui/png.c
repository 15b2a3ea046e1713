/* Screendumps as PNG through libpng: 8-bit RGB, no alpha. */
#include <errno.h>
#include <png.h>

#include "ui/console.h"

bool display_write_png(DisplaySurface *s, const char *path, Error **errp)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        error_setg(errp, "Could not open '%s': %s", path, strerror(errno));
        return false;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    uint8_t *row = xmalloc((size_t)s->width * 3);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        free(row);
        fclose(f);
        error_setg(errp, "libpng could not start writing '%s'", path);
        return false;
    }
    /* libpng reports errors by longjmp; everything it may skip is volatile or freed here. */
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(row);
        fclose(f);
        error_setg(errp, "Could not write '%s'", path);
        return false;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, s->width, s->height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    const uint32_t *data = surface_data(s);
    int stride = surface_stride(s);
    for (int y = 0; y < s->height; y++) {
        for (int x = 0; x < s->width; x++) {
            uint32_t px = data[(size_t)y * stride + x];
            row[x * 3] = px >> 16;
            row[x * 3 + 1] = px >> 8;
            row[x * 3 + 2] = px;
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    if (fclose(f) != 0) {
        error_setg(errp, "Could not write '%s': %s", path, strerror(errno));
        return false;
    }
    return true;
}
