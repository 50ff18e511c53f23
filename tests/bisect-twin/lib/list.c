#include "twin.h"
struct node { int v; struct node *next; };
int lib_list(int n)
{
	struct node nodes[16], *head = 0;
	for (int i = 0; i < n && i < 16; i++) {
		nodes[i].v = i + 1;
		nodes[i].next = head;
		head = &nodes[i];
	}
	int s = 0;
	for (; head; head = head->next)
		s += head->v;
	return s;
}
