package usage

// Add adds every unit of v to u: the usage of a session is the sum of its turns'.
func (u *Usage) Add(v *Usage) {
	for i := range units {
		n := &units[i]
		switch n.Kind {
		case Count:
			*n.count(u) += *n.count(v)
		case Seconds:
			*n.seconds(u) += *n.seconds(v)
		}
	}
}
