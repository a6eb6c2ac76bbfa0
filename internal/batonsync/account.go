package batonsync

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"

	"github.com/ninjaops/ninjaops/internal/ninjaone"
)

// account is what CreateAccount makes of an AccountInfo.
type account struct {
	email            string
	userType         ninjaone.UserType
	firstName        string
	lastName         string
	phone            string
	organizationID   int32
	fullPortalAccess bool
	sendInvitation   bool
}

// Profile keys CreateAccount reads; anything else is refused, so that a
// misspelt key ("organisationId") fails instead of creating the user in the
// wrong place.
var profileKeys = []string{"email", "login", "userType", "firstName", "lastName", "phone", "organizationId", "fullPortalAccess", "sendInvitation"}

// accountRequest reads the account to create: the email from the primary
// email, else the first email, else the login, else the profile's `email`;
// the rest from the profile. userType defaults to END_USER; an end user
// needs an organizationId.
func accountRequest(info *v2.AccountInfo) (account, error) {
	var a account
	prof := map[string]any{}
	if info.GetProfile() != nil {
		prof = info.GetProfile().AsMap()
	}
	for k := range prof {
		if !slices.Contains(profileKeys, k) {
			return account{}, fmt.Errorf("profile: unknown key %q (known keys: %s)", k, strings.Join(profileKeys, ", "))
		}
	}

	for _, e := range info.GetEmails() {
		if e.GetIsPrimary() && a.email == "" {
			a.email = e.GetAddress()
		}
	}
	if a.email == "" && len(info.GetEmails()) > 0 {
		a.email = info.GetEmails()[0].GetAddress()
	}
	var err error
	str := func(key string) string {
		if err != nil {
			return ""
		}
		var s string
		s, err = profileString(prof, key)
		return s
	}
	if a.email == "" {
		a.email = info.GetLogin()
	}
	if a.email == "" {
		a.email = str("login")
	}
	if a.email == "" {
		a.email = str("email")
	}
	a.email = strings.TrimSpace(a.email)
	a.firstName = strings.TrimSpace(str("firstName"))
	a.lastName = strings.TrimSpace(str("lastName"))
	a.phone = strings.TrimSpace(str("phone"))
	typ := str("userType")
	if err != nil {
		return account{}, err
	}
	if a.email == "" || !strings.Contains(a.email, "@") {
		return account{}, fmt.Errorf("the account needs an email address (--email, or the profile's email), got %q", a.email)
	}
	if a.firstName == "" || a.lastName == "" {
		return account{}, errors.New(`profile: firstName and lastName are required (NinjaOne wants 1 to 150 characters each), e.g. {"firstName":"Ada","lastName":"Lovelace"}`)
	}
	if utf8.RuneCountInString(a.firstName) > 150 || utf8.RuneCountInString(a.lastName) > 150 {
		return account{}, errors.New("profile: firstName and lastName are at most 150 characters")
	}

	switch strings.ToUpper(strings.NewReplacer("-", "_", " ", "_").Replace(strings.TrimSpace(typ))) {
	case "", "END_USER", "ENDUSER":
		a.userType = ninjaone.EndUser
	case "TECHNICIAN":
		a.userType = ninjaone.Technician
	default:
		return account{}, fmt.Errorf("profile: userType %q: want END_USER or TECHNICIAN", typ)
	}

	orgSet := false
	if v, ok := prof["organizationId"]; ok && v != nil {
		id, err := profileID(v)
		if err != nil {
			return account{}, fmt.Errorf("profile: organizationId: %v", err)
		}
		a.organizationID, orgSet = id, true
	}
	fpaSet, invSet := false, false
	if a.fullPortalAccess, fpaSet, err = profileBool(prof, "fullPortalAccess"); err != nil {
		return account{}, err
	}
	if a.sendInvitation, invSet, err = profileBool(prof, "sendInvitation"); err != nil {
		return account{}, err
	}

	switch a.userType {
	case ninjaone.EndUser:
		if !orgSet {
			return account{}, errors.New(`profile: an end user needs an organizationId (the NinjaOne organization it belongs to), e.g. {"organizationId":12}`)
		}
	case ninjaone.Technician:
		// NinjaOne's technician create call has none of these fields;
		// refusing beats silently dropping them.
		for key, set := range map[string]bool{"organizationId": orgSet, "fullPortalAccess": fpaSet, "sendInvitation": invSet} {
			if set {
				return account{}, fmt.Errorf("profile: %s applies to end users only, and userType is TECHNICIAN", key)
			}
		}
	}
	return a, nil
}

func profileString(prof map[string]any, key string) (string, error) {
	v, ok := prof[key]
	if !ok || v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("profile: %s: want a string, got %v", key, v)
	}
	return s, nil
}

func profileBool(prof map[string]any, key string) (value, set bool, err error) {
	v, ok := prof[key]
	if !ok || v == nil {
		return false, false, nil
	}
	switch t := v.(type) {
	case bool:
		return t, true, nil
	case string:
		b, err := strconv.ParseBool(t)
		if err != nil {
			return false, false, fmt.Errorf("profile: %s: want true or false, got %q", key, t)
		}
		return b, true, nil
	}
	return false, false, fmt.Errorf("profile: %s: want true or false, got %v", key, v)
}

// profileID reads an id given as a JSON number or a numeric string.
func profileID(v any) (int32, error) {
	var f float64
	switch t := v.(type) {
	case float64:
		f = t
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 32)
		if err != nil {
			return 0, fmt.Errorf("want a number, got %q", t)
		}
		f = float64(n)
	default:
		return 0, fmt.Errorf("want a number, got %v", v)
	}
	if f != math.Trunc(f) || f <= 0 || f > math.MaxInt32 {
		return 0, fmt.Errorf("want a positive whole number, got %v", v)
	}
	return int32(f), nil
}

// accountCreationSchema tells ConductorOne which profile fields
// CreateAccount reads.
func accountCreationSchema() *v2.ConnectorAccountCreationSchema {
	str := func(order int32, name, desc, placeholder string, required bool) *v2.ConnectorAccountCreationSchema_Field {
		return v2.ConnectorAccountCreationSchema_Field_builder{
			DisplayName: name, Description: desc, Placeholder: placeholder, Required: required, Order: order,
			StringField: &v2.ConnectorAccountCreationSchema_StringField{},
		}.Build()
	}
	boolean := func(order int32, name, desc string) *v2.ConnectorAccountCreationSchema_Field {
		f := false
		return v2.ConnectorAccountCreationSchema_Field_builder{
			DisplayName: name, Description: desc, Order: order,
			BoolField: v2.ConnectorAccountCreationSchema_BoolField_builder{DefaultValue: &f}.Build(),
		}.Build()
	}
	endUser := "END_USER"
	return v2.ConnectorAccountCreationSchema_builder{
		FieldMap: map[string]*v2.ConnectorAccountCreationSchema_Field{
			"email":     str(1, "Email", "The user's email, which is also the NinjaOne login", "ada@example.com", true),
			"firstName": str(2, "First name", "1 to 150 characters", "Ada", true),
			"lastName":  str(3, "Last name", "1 to 150 characters", "Lovelace", true),
			"userType": v2.ConnectorAccountCreationSchema_Field_builder{
				DisplayName: "User type", Description: "END_USER (default) or TECHNICIAN", Order: 4,
				StringField: v2.ConnectorAccountCreationSchema_StringField_builder{DefaultValue: &endUser}.Build(),
			}.Build(),
			"organizationId": v2.ConnectorAccountCreationSchema_Field_builder{
				DisplayName: "Organization id", Description: "The NinjaOne organization of an end user (required for end users)", Order: 5,
				IntField: &v2.ConnectorAccountCreationSchema_IntField{},
			}.Build(),
			"phone":            str(6, "Phone", "Cannot be changed later through the API", "", false),
			"fullPortalAccess": boolean(7, "Full portal access", "End users only"),
			"sendInvitation":   boolean(8, "Send invitation", "End users only: email NinjaOne's invitation, through which the user sets a password"),
		},
	}.Build()
}
