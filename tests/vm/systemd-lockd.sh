#!/bin/bash
. "$(dirname "$0")/lib-vm.sh"
skip_all "not written yet"
