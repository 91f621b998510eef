/* Placeholder for berth-init; the exec driver fills it in. */
int main(void) { return 0; }
