package sandbox

// membersOf says how role roleID's members are written.
func (s *Server) membersOf(roleID int32) string {
	return ""
}
