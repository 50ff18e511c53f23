/* The twin's "head object": listed in scripts/head-object-list.txt, it stays first. */
int twin_head = 1;
