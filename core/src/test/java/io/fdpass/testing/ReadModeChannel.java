package io.fdpass.testing;

import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelOption;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.UnixChannelOption;

/** An EmbeddedChannel whose config keeps the unix read mode a handler sets, as epoll and kqueue channels do. */
public final class ReadModeChannel extends EmbeddedChannel {
    private ReadModeConfig config; // no initializer: the super constructor already calls config()

    @Override
    public ChannelConfig config() {
        if (config == null) {
            config = new ReadModeConfig(this);
        }
        return config;
    }

    public DomainSocketReadMode readMode() {
        return ((ReadModeConfig) config()).readMode;
    }

    private static final class ReadModeConfig extends DefaultChannelConfig {
        DomainSocketReadMode readMode = DomainSocketReadMode.BYTES;

        ReadModeConfig(EmbeddedChannel channel) {
            super(channel);
        }

        @Override
        public <T> boolean setOption(ChannelOption<T> option, T value) {
            if (option == UnixChannelOption.DOMAIN_SOCKET_READ_MODE) {
                readMode = (DomainSocketReadMode) value;
                return true;
            }
            return super.setOption(option, value);
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> T getOption(ChannelOption<T> option) {
            if (option == UnixChannelOption.DOMAIN_SOCKET_READ_MODE) {
                return (T) readMode;
            }
            return super.getOption(option);
        }
    }
}
