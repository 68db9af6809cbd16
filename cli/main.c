/* segkit command line: dispatches `segkit VERB [options]` to the verb's file. */
#include <stdio.h>

#include "segkit/error.h"

int main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  fprintf(stderr, "segkit: no verbs yet\n");
  return 2;
}
