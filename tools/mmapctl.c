/* mmapctl.c: placeholder until the tool lands. */
int main(void)
{
	return 1;
}
