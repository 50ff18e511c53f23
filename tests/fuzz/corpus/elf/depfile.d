init/main.o: ../init/main.c include/linux/kconfig.h \
  include/generated/autoconf.h dir\ x/a$$.h

x.h:
