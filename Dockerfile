# syntax=docker/dockerfile:1
#
# ninjaops from source:
#   docker build -t ninjaops --build-arg VERSION=v0.1.0 --build-arg COMMIT=$(git rev-parse HEAD) .
#
# A static binary (no cgo) on a distroless base: no shell, no package
# manager, a non-root user. The entrypoint is ninjaops and the default
# command `baton`, which runs service mode when BATON_CLIENT_ID is set, so
# the image takes the place of ConductorOne's own NinjaOne connector image
# under its setup guide's Deployment; `docker run IMAGE plan ...` runs any
# other command. Release images are built from the release binaries
# instead (goreleaser.Dockerfile), with the same final stage.

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG TARGETOS TARGETARCH
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/ninjaops ./cmd/ninjaops

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ninjaops /ninjaops
USER 65532:65532
ENTRYPOINT ["/ninjaops"]
CMD ["baton"]
