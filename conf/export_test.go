package conf

// LoadDefaultFrom is LoadDefault reading path instead of DefaultPath.
func LoadDefaultFrom(path string) (*Config, error) { return loadDefault(path) }
