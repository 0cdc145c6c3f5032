/* SPDX-License-Identifier: GPL-2.0-or-later */
/* upsagent usb: list the UPSes on USB, decode a HID report descriptor. Each verb takes its argv
 * (argv[0] is the verb) and returns the exit status. */
#pragma once

int verb_usb(int argc, char **argv);
