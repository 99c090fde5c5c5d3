/* pack: compresses a text with zlib and checks the round trip; the text is its
 * argument, or a page it downloads with libcurl when the argument is an http(s) URL.
 * Without an argument it packs a built-in text and checks it could download one:
 * https needs the CA bundle libcurl was built to read. The binary links libz.so.1
 * and libcurl.so.4. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define LIMIT 65536

struct page {
    char data[LIMIT];
    size_t length;
};

static size_t keep(char *chunk, size_t size, size_t count, void *target) {
    struct page *page = target;
    size_t length = size * count;
    if (length > LIMIT - 1 - page->length)
        return 0; /* too big: the transfer fails */
    memcpy(page->data + page->length, chunk, length);
    page->length += length;
    page->data[page->length] = '\0';
    return length;
}

static int download(const char *url, struct page *page) {
    CURL *curl = curl_easy_init();
    CURLcode done = CURLE_FAILED_INIT;
    if (curl != NULL) {
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, page);
        curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
        done = curl_easy_perform(curl);
        curl_easy_cleanup(curl);
    }
    if (done != CURLE_OK)
        fprintf(stderr, "pack: %s: %s\n", url, curl_easy_strerror(done));
    return done == CURLE_OK;
}

/* Where libcurl looks for trusted certificate authorities, when that file is there. */
static const char *ca_bundle(void) {
    CURL *curl = curl_easy_init();
    char *bundle = NULL;
    if (curl == NULL)
        return NULL;
    curl_easy_getinfo(curl, CURLINFO_CAINFO, &bundle);
    static char found[4096];
    int readable = bundle != NULL && access(bundle, R_OK) == 0;
    if (readable)
        snprintf(found, sizeof found, "%s", bundle);
    curl_easy_cleanup(curl);
    return readable ? found : NULL;
}

int main(int argc, char **argv) {
    static struct page page;
    const char *text = "build in one stage, ship in another; build in one stage, ship in another";
    if (argc > 1 && (strncmp(argv[1], "http://", 7) == 0 || strncmp(argv[1], "https://", 8) == 0)) {
        if (!download(argv[1], &page))
            return 1;
        text = page.data;
    } else if (argc > 1) {
        text = argv[1];
    }
    uLong length = (uLong)strlen(text);
    uLongf packed_length = compressBound(length);
    Bytef *packed = malloc(packed_length);
    uLongf unpacked_length = length + 1;
    Bytef *unpacked = malloc(unpacked_length);
    if (packed == NULL || unpacked == NULL
        || compress2(packed, &packed_length, (const Bytef *)text, length, 9) != Z_OK
        || uncompress(unpacked, &unpacked_length, packed, packed_length) != Z_OK
        || unpacked_length != length || memcmp(unpacked, text, length) != 0) {
        fprintf(stderr, "pack: round trip failed\n");
        return 1;
    }
    printf("%lu bytes -> %lu bytes, crc32 %08lx\n", (unsigned long)length,
           (unsigned long)packed_length, crc32(0L, (const Bytef *)text, (uInt)length));
    printf("zlib %s, libcurl %s\n", zlibVersion(), curl_version_info(CURLVERSION_NOW)->version);
    if (argc == 1) {
        const char *bundle = ca_bundle();
        if (bundle == NULL) {
            fprintf(stderr, "pack: no CA bundle: https downloads would fail\n");
            return 1;
        }
        printf("https: trusts %s\n", bundle);
    }
    free(packed);
    free(unpacked);
    return 0;
}
