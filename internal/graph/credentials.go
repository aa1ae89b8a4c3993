package graph

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// CredentialFromEnv picks a credential from the environment, in this order:
//
//	ENTRASYNC_ACCESS_TOKEN                          a bearer token, used as is
//	AZURE_CLIENT_ID + AZURE_CLIENT_SECRET           client secret
//	AZURE_CLIENT_ID + AZURE_CLIENT_CERTIFICATE_PATH certificate (+ AZURE_CLIENT_CERTIFICATE_PASSWORD)
//	AZURE_CLIENT_ID + AZURE_FEDERATED_TOKEN_FILE    workload identity
//	AZURE_CLIENT_ID + ACTIONS_ID_TOKEN_REQUEST_URL  GitHub Actions OIDC (id-token: write)
//	IDENTITY_ENDPOINT or MSI_ENDPOINT               managed identity
//
// ENTRASYNC_AUTHORITY_HOST points the token requests at another authority
// (the emulator's), trusting ENTRASYNC_CA_FILE. The description names the
// method, never a secret.
func CredentialFromEnv(getenv func(string) string, tenantID string) (azcore.TokenCredential, string, error) {
	opts := azcore.ClientOptions{}
	disableDiscovery := false
	if host := getenv("ENTRASYNC_AUTHORITY_HOST"); host != "" {
		opts.Cloud = cloud.Configuration{ActiveDirectoryAuthorityHost: host}
		disableDiscovery = true
		if ca := getenv("ENTRASYNC_CA_FILE"); ca != "" {
			pem, err := os.ReadFile(ca)
			if err != nil {
				return nil, "", fmt.Errorf("ENTRASYNC_CA_FILE: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, "", errors.New("ENTRASYNC_CA_FILE holds no certificate")
			}
			opts.Transport = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
		}
	}
	client := getenv("AZURE_CLIENT_ID")
	switch {
	case getenv("ENTRASYNC_ACCESS_TOKEN") != "":
		return staticToken(getenv("ENTRASYNC_ACCESS_TOKEN")), "a static access token (ENTRASYNC_ACCESS_TOKEN)", nil
	case client != "" && getenv("AZURE_CLIENT_SECRET") != "":
		c, err := azidentity.NewClientSecretCredential(tenantID, client, getenv("AZURE_CLIENT_SECRET"),
			&azidentity.ClientSecretCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: disableDiscovery})
		return c, "a client secret for app " + client, err
	case client != "" && getenv("AZURE_CLIENT_CERTIFICATE_PATH") != "":
		data, err := os.ReadFile(getenv("AZURE_CLIENT_CERTIFICATE_PATH"))
		if err != nil {
			return nil, "", fmt.Errorf("AZURE_CLIENT_CERTIFICATE_PATH: %w", err)
		}
		var password []byte
		if p := getenv("AZURE_CLIENT_CERTIFICATE_PASSWORD"); p != "" {
			password = []byte(p)
		}
		certs, key, err := azidentity.ParseCertificates(data, password)
		if err != nil {
			return nil, "", fmt.Errorf("AZURE_CLIENT_CERTIFICATE_PATH: %w", err)
		}
		c, err := azidentity.NewClientCertificateCredential(tenantID, client, certs, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: disableDiscovery})
		return c, "a certificate for app " + client, err
	case client != "" && getenv("AZURE_FEDERATED_TOKEN_FILE") != "":
		c, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions: opts, ClientID: client, TenantID: tenantID, TokenFilePath: getenv("AZURE_FEDERATED_TOKEN_FILE"),
			DisableInstanceDiscovery: disableDiscovery})
		return c, "workload identity for app " + client, err
	case client != "" && getenv("ACTIONS_ID_TOKEN_REQUEST_URL") != "":
		fetch := githubOIDC(getenv("ACTIONS_ID_TOKEN_REQUEST_URL"), getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN"))
		c, err := azidentity.NewClientAssertionCredential(tenantID, client, fetch,
			&azidentity.ClientAssertionCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: disableDiscovery})
		return c, "GitHub Actions OIDC for app " + client, err
	case getenv("IDENTITY_ENDPOINT") != "" || getenv("MSI_ENDPOINT") != "":
		mi := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts}
		if client != "" {
			mi.ID = azidentity.ClientID(client)
		}
		c, err := azidentity.NewManagedIdentityCredential(mi)
		return c, "managed identity", err
	}
	return nil, "", errors.New("no credentials in the environment: set AZURE_CLIENT_ID with AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH, AZURE_FEDERATED_TOKEN_FILE or GitHub OIDC (permissions: id-token: write), or ENTRASYNC_ACCESS_TOKEN")
}

// githubOIDC fetches a GitHub Actions ID token for Entra's token exchange.
// It fetches a fresh one on every call: GitHub's token lives about five
// minutes, and a long apply asks for Graph tokens long after the first.
func githubOIDC(requestURL, requestToken string) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		u, err := url.Parse(requestURL)
		if err != nil {
			return "", err
		}
		q := u.Query()
		q.Set("audience", "api://AzureADTokenExchange")
		u.RawQuery = q.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return "", err
		}
		req.Header.Set("Authorization", "Bearer "+requestToken)
		resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
		if err != nil {
			return "", fmt.Errorf("fetching the GitHub OIDC token: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("fetching the GitHub OIDC token: %s", resp.Status)
		}
		var body struct {
			Value string `json:"value"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Value == "" {
			return "", errors.New("fetching the GitHub OIDC token: no token in the answer")
		}
		return body.Value, nil
	}
}

// staticToken is a bearer token from the environment.
type staticToken string

func (t staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	// The expiry is unknown; a day keeps azidentity's callers from asking
	// again, and Graph itself says 401 when it is wrong.
	return azcore.AccessToken{Token: string(t), ExpiresOn: time.Now().Add(24 * time.Hour)}, nil
}
