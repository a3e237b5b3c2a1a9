# Writes IN as a NUL-terminated C array named SYMBOL into OUT.
file(READ ${IN} content HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
file(WRITE ${OUT} "/* generated from ${IN} */\nconst char ${SYMBOL}[] = {${bytes}0x00};\n")
