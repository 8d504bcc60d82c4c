package group

import "testing"

func TestJavaStringHash(t *testing.T) {
	// Values computed by Java's "...".hashCode().
	cases := []struct {
		s    string
		want int32
	}{
		{"", 0},
		{"a", 97},
		{"hello", 99162322},
		{"Users", 82025960},
		{"polygenelubricants", -2147483648},
		{"\U0001F600", 1772899},
	}
	for _, c := range cases {
		if got := JavaStringHash(c.s); got != c.want {
			t.Errorf("JavaStringHash(%q) = %d, want %d", c.s, got, c.want)
		}
	}
	// MinInt32 maps to partition 0 (Utils.abs masks the sign bit).
	if p := PartitionFor("polygenelubricants", 50); p != 0 {
		t.Errorf("PartitionFor(MinInt32 hash) = %d, want 0", p)
	}
	if p := PartitionFor("Users", 50); p != 82025960%50 {
		t.Errorf("PartitionFor(Users) = %d", p)
	}
}
