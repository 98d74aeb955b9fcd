/* SPDX-License-Identifier: MIT */
#include "console-detect.h"
#include "arch.h"

#define DP_TYPE_ACPI 0x02
#define DP_SUBTYPE_ACPI 0x01
#define DP_TYPE_END 0x7f
#define ACPI_NODE_SIZE 12 /* header, HID, UID */
#define PNP0501_HID 0x050141d0u /* EISA_PNP_ID(0x0501): a 16550 UART */
#define PCI_VENDOR_REDHAT 0x1af4
#define PCI_DEVICE_VIRTIO_CONSOLE 0x1003

static const EFI_GUID pci_io_guid = EFI_PCI_IO_PROTOCOL_GUID;
static const EFI_GUID gop_guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
static const EFI_GUID text_output_guid = EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL_GUID;

/* The UID of the path's PNP0501 node, -1 without one. Node lengths come
 * from firmware: a node shorter than its header ends the walk. */
static int uart_index(const EFI_DEVICE_PATH *dp) {
        for (const uint8_t *p = (const uint8_t *) dp; p && p[0] != DP_TYPE_END;) {
                uint16_t len = read_le16(p + 2);

                if (len < 4)
                        return -1;
                if (p[0] == DP_TYPE_ACPI && p[1] == DP_SUBTYPE_ACPI && len >= ACPI_NODE_SIZE &&
                    read_le32(p + 4) == PNP0501_HID)
                        return read_le32(p + 8) > INT32_MAX ? -1 : (int) read_le32(p + 8);
                p += len;
        }
        return -1;
}

static EFI_DEVICE_PATH *device_path_of(EFI_HANDLE h) {
        EFI_DEVICE_PATH *dp = NULL;

        if (!h || BS->HandleProtocol(h, (EFI_GUID *) &device_path_guid, (void **) &dp) != EFI_SUCCESS)
                return NULL;
        return dp;
}

int console_serial_index(void) {
        EFI_HANDLE *handles = NULL;
        EFI_DEVICE_PATH *dp;
        UINTN n = 0;
        int found = -1;

        if (!arch_uart_console)
                return -1;
        /* ConOut itself, when it is one device. */
        dp = device_path_of(ST->ConsoleOutHandle);
        if (dp)
                return uart_index(dp);
        /* ConOut is the firmware's splitter: the text outputs behind it. */
        if (BS->LocateHandleBuffer(ByProtocol, (EFI_GUID *) &text_output_guid, NULL, &n, &handles) != EFI_SUCCESS)
                return -1;
        for (UINTN i = 0; i < n; i++) {
                int index;

                dp = device_path_of(handles[i]);
                if (!dp || (index = uart_index(dp)) < 0)
                        continue;
                if (found >= 0 && found != index) {
                        found = -1;
                        break;
                }
                found = index;
        }
        efi_free(handles);
        return found;
}

bool console_virtio_console(void) {
        EFI_HANDLE *handles = NULL;
        UINTN n = 0, count = 0;

        if (BS->LocateHandleBuffer(ByProtocol, (EFI_GUID *) &pci_io_guid, NULL, &n, &handles) != EFI_SUCCESS)
                return false;
        for (UINTN i = 0; i < n && count < 2; i++) {
                EFI_PCI_IO_PROTOCOL *pci = NULL;
                uint16_t id[2] = {};

                if (BS->HandleProtocol(handles[i], (EFI_GUID *) &pci_io_guid, (void **) &pci) != EFI_SUCCESS ||
                    pci->Pci.Read(pci, EfiPciIoWidthUint16, 0, 2, id) != EFI_SUCCESS)
                        continue;
                if (id[0] == PCI_VENDOR_REDHAT && id[1] == PCI_DEVICE_VIRTIO_CONSOLE)
                        count++;
        }
        efi_free(handles);
        return count == 1;
}

bool console_graphics(void) {
        void *gop = NULL;

        return BS->LocateProtocol((EFI_GUID *) &gop_guid, NULL, &gop) == EFI_SUCCESS && gop;
}
