/* SPDX-License-Identifier: MIT */
#include "secure-boot.h"

/* PI specification, volume 2: the architectural protocols the DXE core
 * calls from LoadImage() to authenticate an image (EDK II's
 * DxeImageVerificationLib checks db/dbx behind them). */
#define SECURITY_ARCH_PROTOCOL_GUID \
        { 0xa46423e3, 0x4617, 0x49f1, { 0xb9, 0xff, 0xd1, 0xbf, 0xa9, 0x11, 0x58, 0x39 } }
#define SECURITY2_ARCH_PROTOCOL_GUID \
        { 0x94ab2f58, 0x1438, 0x4ef1, { 0x91, 0x52, 0x18, 0x94, 0x1a, 0x3a, 0x0e, 0x68 } }

struct security_arch_protocol;
struct security2_arch_protocol;

typedef EFI_STATUS(EFIAPI *security_file_authentication_state)(const struct security_arch_protocol *this,
                                                               UINT32 authentication_status,
                                                               const EFI_DEVICE_PATH *file);
typedef EFI_STATUS(EFIAPI *security2_file_authentication)(const struct security2_arch_protocol *this,
                                                          const EFI_DEVICE_PATH *device_path, void *file_buffer,
                                                          UINTN file_size, BOOLEAN boot_policy);

struct security_arch_protocol {
        security_file_authentication_state FileAuthenticationState;
};

struct security2_arch_protocol {
        security2_file_authentication FileAuthentication;
};

static struct {
        struct security_arch_protocol *security;
        struct security2_arch_protocol *security2;
        security_file_authentication_state original;
        security2_file_authentication original2;
        const EFI_DEVICE_PATH *dp;
        const void *buffer;
        size_t size;
} override;

#define DP_TYPE_END 0x7f
#define DP_SUBTYPE_END_ENTIRE 0xff

/* True when a and b are the same single-node device path (node, then the
 * end node). keel's kernel path is one vendor node; nothing longer can
 * match it. */
static bool same_device_path(const EFI_DEVICE_PATH *a, const EFI_DEVICE_PATH *b) {
        uint16_t len;
        const EFI_DEVICE_PATH *end;

        if (!a || !b)
                return false;
        len = read_le16(b->Length);
        if (len < sizeof(EFI_DEVICE_PATH) || read_le16(a->Length) != len || memcmp(a, b, len) != 0)
                return false;
        end = (const EFI_DEVICE_PATH *) ((const uint8_t *) a + len);
        return end->Type == DP_TYPE_END && end->SubType == DP_SUBTYPE_END_ENTIRE;
}

/* Exactly the image the stub asked for: its device path and its bytes. */
static bool is_our_image(const EFI_DEVICE_PATH *dp, const void *buffer, size_t size) {
        if (!same_device_path(dp, override.dp))
                return false;
        if (!buffer) /* the first protocol is never given the bytes */
                return true;
        return size == override.size && (buffer == override.buffer || memcmp(buffer, override.buffer, size) == 0);
}

static EFI_STATUS EFIAPI security_hook(const struct security_arch_protocol *this, UINT32 authentication_status,
                                       const EFI_DEVICE_PATH *file) {
        if (is_our_image(file, NULL, 0))
                return EFI_SUCCESS;
        return override.original(this, authentication_status, file);
}

static EFI_STATUS EFIAPI security2_hook(const struct security2_arch_protocol *this, const EFI_DEVICE_PATH *device_path,
                                        void *file_buffer, UINTN file_size, BOOLEAN boot_policy) {
        /* A NULL buffer means the firmware wants the path checked, not bytes
         * we know: that goes to the firmware. */
        if (file_buffer && is_our_image(device_path, file_buffer, file_size))
                return EFI_SUCCESS;
        return override.original2(this, device_path, file_buffer, file_size, boot_policy);
}

void security_override_install(const EFI_DEVICE_PATH *dp, const void *buffer, size_t size) {
        EFI_GUID security_guid = SECURITY_ARCH_PROTOCOL_GUID, security2_guid = SECURITY2_ARCH_PROTOCOL_GUID;
        struct security_arch_protocol *security = NULL;
        struct security2_arch_protocol *security2 = NULL;

        override.dp = dp;
        override.buffer = buffer;
        override.size = size;

        /* Firmware without these protocols verifies nothing: no hook needed. */
        if (BS->LocateProtocol(&security_guid, NULL, (void **) &security) == EFI_SUCCESS && security &&
            security->FileAuthenticationState) {
                override.security = security;
                override.original = security->FileAuthenticationState;
                security->FileAuthenticationState = security_hook;
        }
        if (BS->LocateProtocol(&security2_guid, NULL, (void **) &security2) == EFI_SUCCESS && security2 &&
            security2->FileAuthentication) {
                override.security2 = security2;
                override.original2 = security2->FileAuthentication;
                security2->FileAuthentication = security2_hook;
        }
}

void security_override_uninstall(void) {
        if (override.security)
                override.security->FileAuthenticationState = override.original;
        if (override.security2)
                override.security2->FileAuthentication = override.original2;
        memset(&override, 0, sizeof(override));
}
