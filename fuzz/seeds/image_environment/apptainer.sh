#!/bin/sh
export LANG="${LANG:-"C.UTF-8"}"
export Q="a \"b\" \$c"
export S='x y'
source /x
export P="$PATH:/opt"
